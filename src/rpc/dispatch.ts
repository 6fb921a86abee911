/**
 * dispatch runs one decoded call against a registry and returns its reply. It never
 * throws: every outcome, including a handler's crash, becomes a {@link Reply}.
 * Shared by every protocol.
 */
import { checkAccess } from './auth.js';
import { bindArgs, type Procedure } from './bind.js';
import type { Context } from './context.js';
import { Code, RpcError } from './errors.js';
import { type Call, PushMethod, type Reply, type SubscriptionId } from './message.js';
import type { Registry } from './registry.js';
import { type Issue, type Schema, type Validated, validate } from './schema.js';
import type { AnyProcedure, HandlerOf } from './service.js';
import type { Subscriptions } from './subscriptions.js';

/**
 * SentReply is a reply that may carry a hook the transport calls once the reply has
 * been written (a subscription starts pushing only then, so no event overtakes it).
 */
export type SentReply = Reply & { readonly onSent?: () => void };

/**
 * Started is what a subscription's `next()` resolves to inside middleware: the new
 * subscription's id, and the hook that starts its events once the reply is out.
 */
export class Started {
  constructor(
    readonly id: SubscriptionId,
    readonly start: () => void,
  ) {}
}

/**
 * dispatch resolves, validates and runs `call`. It returns null for a notification
 * (no `id`), whatever happened. Handler errors that are not `RpcError` are logged
 * and become {@link Code.Internal} with a generic message.
 */
export async function dispatch(registry: Registry, call: Call, ctx: Context): Promise<SentReply | null> {
  const id = call.id;
  try {
    // A resubscription is the subscription call itself to middleware, with its cursor.
    let resume: Resume | undefined;
    if (call.method === PushMethod.Resubscribe && ctx.subscriptions !== undefined) {
      resume = resumeOf(call);
      call = resume.call;
    }
    // No closure per call on the common path (no middleware), and no await at all
    // when validation and the handler are synchronous (most procedures).
    let out =
      registry.middleware === undefined
        ? invoke(registry, call, ctx, resume)
        : registry.middleware(call, ctx, async () => invoke(registry, call, ctx, resume));
    if (isThenable(out)) out = await out;
    if (id === undefined) return null;
    if (out instanceof Started) return { id, ok: true, result: out.id, onSent: out.start };
    return { id, ok: true, result: out };
  } catch (err) {
    if (id === undefined) return null;
    return { id, ok: false, error: toRpcError(registry, call, err) };
  }
}

function toRpcError(registry: Registry, call: Call, err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  registry.logger.error(`rpc: ${call.method} failed`, { error: err });
  return RpcError.from(err);
}

/** methodNotFound is the error for a name nothing is registered under. */
export function methodNotFound(method: string): RpcError {
  return new RpcError(Code.MethodNotFound, `rpc: can't find method ${JSON.stringify(method.slice(0, 128))}`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function')
  );
}

/** Resume is a decoded `rpc.resubscribe`: the subscription call and the client's cursor. */
interface Resume {
  readonly call: Call;
  readonly after: unknown;
}

function resumeOf(call: Call): Resume {
  const p = call.params;
  if (!Array.isArray(p) || typeof p[0] !== 'string' || (p[1] !== undefined && typeof p[1] !== 'object'))
    throw new RpcError(
      Code.InvalidParams,
      'rpc: rpc.resubscribe takes [method, params, lastEventId] (lastEventId null when none)',
    );
  const params = (p[1] ?? undefined) as Call['params'];
  return { call: { id: call.id, method: p[0], params }, after: p[2] ?? null };
}

// invoke returns the result, or a promise of it when something on the way is async.
// It may throw (dispatch catches).
function invoke(registry: Registry, call: Call, ctx: Context, resume?: Resume): unknown {
  if (typeof call.method !== 'string')
    throw new RpcError(Code.InvalidRequest, 'rpc: method must be a string');
  const proc = registry.procedures.get(call.method);
  // One check on the common path: no authentication and no rule for this procedure.
  if (registry.authenticate !== undefined || proc?.allow !== undefined)
    checkAccess(registry.authenticate !== undefined, proc, ctx, call.method);
  if (proc === undefined) {
    if (call.method === PushMethod.Unsubscribe && ctx.subscriptions !== undefined)
      return unsubscribe(call, ctx);
    if (call.method === PushMethod.Authenticate)
      throw new RpcError(
        Code.Unsupported,
        'rpc: rpc.authenticate is a call of its own on a connection (not in a batch); over HTTP send an Authorization header',
      );
    throw methodNotFound(call.method);
  }
  const args = validateArgs(proc, bindArgs(proc, call.params));
  if (args instanceof Promise) return args.then((a) => run(registry, proc, a, call, ctx, resume));
  return run(registry, proc, args, call, ctx, resume);
}

function run(
  registry: Registry,
  proc: Procedure,
  args: Record<string, unknown>,
  call: Call,
  ctx: Context,
  resume?: Resume,
): unknown {
  const def = proc.def;
  if (resume !== undefined && def.kind !== 'subscription')
    throw new RpcError(
      Code.InvalidParams,
      `rpc: ${proc.name} is not a subscription; it cannot be resubscribed`,
    );
  if (def.kind === 'call') {
    const result = (def.handler as HandlerOf<unknown>)(args, ctx);
    if (!registry.validateResults) return result;
    return isThenable(result)
      ? Promise.resolve(result).then((r) => checked(proc, def.result, r, 'result'))
      : checked(proc, def.result, result, 'result');
  }
  const subs = ctx.subscriptions;
  if (subs === undefined) {
    const hint = def.fallback === undefined ? '' : `; poll ${def.fallback} instead`;
    throw new RpcError(
      Code.Unsupported,
      `rpc: ${proc.name} is a subscription and needs a connection with server push (a tcp or msgpack URL, not HTTP)${hint}`,
    );
  }
  if (call.id === undefined) return undefined; // a subscription nobody can address
  if (resume !== undefined && def.eventId === undefined)
    throw new RpcError(
      Code.EventsLost,
      `rpc: ${proc.name} cannot resume (its events have no ids); events during the outage may be lost`,
      { data: { reason: 'not-resumable' } },
    );
  return openSubscription(registry, proc, def, args, ctx, subs, resume);
}

// Tables whose connection signal already ends them (one listener per connection, not
// one per subscription, which would trip node's MaxListeners warning past ten).
const linked = new WeakSet<Subscriptions>();

// The limit is checked before the handler runs: a refused subscription must not have
// registered anything (a broker subscriber, a listener) that only a disconnect undoes.
function openSubscription(
  registry: Registry,
  proc: Procedure,
  def: Extract<AnyProcedure, { kind: 'subscription' }>,
  args: Record<string, unknown>,
  ctx: Context,
  subs: Subscriptions,
  resume: Resume | undefined,
): Started {
  const slot = subs.reserve(); // throws LimitExceeded: no handler has run
  if (!linked.has(subs)) {
    linked.add(subs);
    ctx.signal.addEventListener('abort', () => subs.closeAll(), { once: true });
  }
  const controller = new AbortController();
  if (ctx.signal.aborted) controller.abort(); // the connection is already gone
  let events: AsyncIterable<unknown>;
  try {
    // The context's getters live on its prototype: copy them by name, not by spread.
    const own: Context = {
      protocol: ctx.protocol,
      peer: ctx.peer,
      auth: ctx.auth,
      session: ctx.session,
      subscriptions: subs,
      signal: controller.signal,
      resumeAfter: resume?.after,
    };
    events = (def.handler as HandlerOf<AsyncIterable<unknown>>)(args, own);
  } catch (err) {
    slot.release();
    controller.abort(); // whatever the handler hooked to its signal lets go
    throw err;
  }
  const check = registry.validateResults ? (e: unknown) => checked(proc, def.event, e, 'event') : undefined;
  const subId = slot.open(events, controller, check, def.eventId as ((e: unknown) => unknown) | undefined);
  return new Started(subId, () => subs.start(subId));
}

function unsubscribe(call: Call, ctx: Context): boolean {
  const p = call.params;
  const subId = Array.isArray(p) ? p[0] : (p as { subscription?: unknown } | undefined)?.subscription;
  if (typeof subId !== 'number') {
    throw new RpcError(Code.InvalidParams, 'rpc: rpc.unsubscribe takes one subscription id (a number)');
  }
  return ctx.subscriptions?.close(subId) ?? false;
}

// Returns the handler's argument object, or a promise of it when a schema is async.
function validateArgs(
  proc: Procedure,
  values: unknown[],
): Record<string, unknown> | Promise<Record<string, unknown>> {
  const list = proc.def.params;
  const args: Record<string, unknown> = {};
  const issues: Issue[] = [];
  const pending: Promise<void>[] = [];
  const take = (name: string, r: Validated): void => {
    if (r.ok) args[name] = r.value;
    else issues.push(...r.issues);
  };
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    const v = validate(p.schema, values[i], p.name);
    if (v instanceof Promise) pending.push(v.then((r) => take(p.name, r)));
    else take(p.name, v);
  }
  const finish = (): Record<string, unknown> => {
    if (issues.length > 0) throw invalidParams(proc, issues);
    return args;
  };
  return pending.length === 0 ? finish() : Promise.all(pending).then(finish);
}

function invalidParams(proc: Procedure, issues: Issue[]): RpcError {
  const summary = issues
    .slice(0, 3)
    .map((i) => `${(i.path ?? []).join('.')}: ${i.message}`)
    .join('; ');
  return new RpcError(Code.InvalidParams, `rpc: invalid params for ${proc.name}: ${summary}`, {
    data: issues,
  });
}

// Result and event checks (on by default): a mismatch is the server's bug, so it is
// logged and the peer sees a generic internal error. A synchronous schema is checked
// synchronously, so a sync handler's call still awaits nothing.
function checked(proc: Procedure, schema: Schema, value: unknown, what: string): unknown {
  const r = validate(schema, value, what);
  return r instanceof Promise ? r.then((v) => settleCheck(proc, v, what)) : settleCheck(proc, r, what);
}

function settleCheck(proc: Procedure, r: Validated, what: string): unknown {
  if (!r.ok) throw new Error(`rpc: ${proc.name} produced an invalid ${what}: ${JSON.stringify(r.issues)}`);
  return r.value;
}
