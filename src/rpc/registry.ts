/**
 * Registry flattens a service tree into a name → procedure table that dispatch reads.
 * Names come only from the definition; lookups use a `Map`, so no name from the
 * wire (`__proto__`, `constructor`, `add.call`) can reach anything not registered.
 */

import { type AccessRule, type Authenticate, combineRules, covers, guardOf, isGuard } from './auth.js';
import { compile, FORBIDDEN, type Procedure, SEGMENT } from './bind.js';
import type { Context } from './context.js';
import { introspection } from './introspection.js';
import type { Call } from './message.js';
import { isProcedure, type Service, type ServiceTree } from './service.js';

/** Logger receives the server's diagnostics. */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * Middleware wraps every dispatched call (logging, auth, metrics). It returns what
 * `next()` returns, or throws an `RpcError` to refuse the call. For a subscription,
 * `next()` resolves to a `Started` (its id and start hook): pass it through.
 */
export type Middleware = (call: Call, ctx: Context, next: () => Promise<unknown>) => Promise<unknown>;

/** RegistryOptions configure {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * Wraps each call, outermost first. A {@link guard} among them is a namespace rule:
   * it is checked before the procedure's own middleware runs, and introspection lists
   * only what the caller may call. Defaults to none.
   */
  readonly middleware?: readonly Middleware[];
  /**
   * Authenticates callers: with it, every call needs an identity (`ctx.auth`) first,
   * from an `Authorization` header (Basic or Bearer) over HTTP and the WebSocket
   * upgrade, from `rpc.authenticate(credentials)` on a connection, or from a verified
   * client certificate. See docs/security.md. Defaults to none: every caller is
   * anonymous and only procedures' own `allow` rules apply.
   */
  readonly authenticate?: Authenticate;
  /**
   * Validates results and events against their schemas before they are sent: a
   * handler that breaks its declared result type is logged as a server bug and the
   * caller gets -32603, instead of a value the typed client mistypes. The check costs
   * tens to hundreds of ns per call (docs/architecture.md). Defaults to true.
   */
  readonly validateResults?: boolean;
  /** Where errors (handler failures) and debug lines go. Defaults to errors on stderr. */
  readonly logger?: Logger;
  /** Adds `system.listMethods`, `system.methodHelp`, `system.methodSignature`, `rpc.discover`. Defaults to true. */
  readonly introspection?: boolean;
}

/** Registry is the dispatch table of one service. */
export interface Registry {
  readonly service: Service;
  readonly procedures: ReadonlyMap<string, Procedure>;
  readonly middleware: Middleware | undefined;
  /** The authentication hook; when set, anonymous calls are refused. */
  readonly authenticate: Authenticate | undefined;
  readonly validateResults: boolean;
  readonly logger: Logger;
}

const RESERVED_ROOTS = new Set(['rpc', 'system']);

/** consoleLogger writes errors to stderr and drops debug lines. */
export const consoleLogger: Logger = {
  debug() {},
  error(message, fields) {
    console.error(message, fields ?? '');
  },
};

function walk(tree: ServiceTree, prefix: string, out: Map<string, Procedure>): void {
  for (const key of Object.keys(tree)) {
    if (!SEGMENT.test(key) || FORBIDDEN.has(key)) throw new Error(`rpc: bad procedure name segment "${key}"`);
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (prefix === '' && RESERVED_ROOTS.has(key)) throw new Error(`rpc: the "${key}." namespace is reserved`);
    const node = tree[key];
    if (isProcedure(node)) out.set(name, compile(name, node));
    else if (typeof node === 'object' && node !== null) walk(node as ServiceTree, name, out);
    else throw new Error(`rpc: ${name} is neither a procedure nor a namespace`);
  }
}

function compose(list: readonly Middleware[]): Middleware | undefined {
  if (list.length === 0) return undefined;
  return list.reduceRight<Middleware | undefined>(
    (inner, outer) => (call, ctx, next) =>
      outer(call, ctx, inner === undefined ? next : () => inner(call, ctx, next)),
    undefined,
  );
}

/**
 * createRegistry flattens `service` into a dispatch table.
 * @throws Error when a name or parameter list is malformed (at definition time, not per call).
 */
export function createRegistry(service: Service, options: RegistryOptions = {}): Registry {
  const procedures = new Map<string, Procedure>();
  walk(service.tree, '', procedures);
  const all = options.middleware ?? [];
  applyGuards(procedures, all.filter(isGuard).map(guardOf));
  const registry: Registry = {
    service,
    procedures,
    middleware: compose(all.filter((m) => !isGuard(m))),
    authenticate: options.authenticate,
    validateResults: options.validateResults ?? true,
    logger: options.logger ?? consoleLogger,
  };
  if (options.introspection !== false) for (const p of introspection(registry)) procedures.set(p.name, p);
  return registry;
}

// A guard's rule joins the rule of every procedure under its prefix, once, here.
function applyGuards(
  procedures: Map<string, Procedure>,
  guards: readonly { readonly prefix: string; readonly rule: AccessRule }[],
): void {
  if (guards.length === 0) return;
  for (const [name, proc] of procedures) {
    const rules = guards.filter((g) => covers(g.prefix, name)).map((g) => g.rule);
    if (rules.length === 0) continue;
    const allow = combineRules(proc.allow === undefined ? rules : [...rules, proc.allow]);
    procedures.set(name, { ...proc, allow });
  }
}
