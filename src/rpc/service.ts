/**
 * Service definition: procedures declared once, with named, typed parameters, a
 * result schema, a doc string and a handler. Types flow from the schemas alone.
 */
import type { AccessRule } from './auth.js';
import type { Context } from './context.js';
import type { Infer, InferIn, Schema } from './schema.js';

/** Param is one named, ordered parameter of a procedure. */
export interface Param<N extends string = string, S extends Schema = Schema> {
  readonly name: N;
  readonly schema: S;
}

/**
 * param declares a parameter: its wire name (used for named arguments) and its schema.
 * A parameter whose schema accepts `undefined` is optional; optional parameters come last.
 */
export function param<const N extends string, S extends Schema>(name: N, schema: S): Param<N, S> {
  return { name, schema };
}

/** Params is the ordered parameter list of a procedure. */
export type Params = readonly Param[];

/** ArgsOf is the object a handler receives: each parameter's validated value by name. */
export type ArgsOf<P extends Params> = { [E in P[number] as E['name']]: Infer<E['schema']> };

/**
 * PositionalArgs is the tuple a caller passes: one element per parameter, in order;
 * a trailing parameter that accepts `undefined` may be left out.
 */
export type PositionalArgs<P extends Params> = P extends readonly [
  ...infer Init extends Params,
  infer Last extends Param,
]
  ? undefined extends InferIn<Last['schema']>
    ? [...PositionalArgs<Init>, (InferIn<Last['schema']> | undefined)?]
    : [...RequiredArgs<Init>, InferIn<Last['schema']>]
  : [];

type RequiredArgs<P extends Params> = P extends readonly [infer H extends Param, ...infer R extends Params]
  ? [InferIn<H['schema']>, ...RequiredArgs<R>]
  : [];

/** CallDef is a procedure that returns one result. */
export interface CallDef<P extends Params = Params, R extends Schema = Schema> {
  readonly kind: 'call';
  readonly doc: string;
  readonly params: P;
  readonly result: R;
  /**
   * Who may call it, given `ctx.auth` (undefined for an anonymous caller). A refusal is
   * -32010 for an anonymous caller and -32011 otherwise; introspection hides the
   * procedure from callers it refuses. Defaults to anyone the server lets in.
   */
  readonly allow?: AccessRule;
  readonly handler: (args: ArgsOf<P>, ctx: Context) => Infer<R> | Promise<Infer<R>>;
}

/** SubscriptionDef is a procedure that pushes a stream of events to its caller. */
export interface SubscriptionDef<P extends Params = Params, E extends Schema = Schema> {
  readonly kind: 'subscription';
  readonly doc: string;
  readonly params: P;
  readonly event: E;
  /**
   * A procedure to poll where push is not available (HTTP), named in the error a
   * caller gets there, e.g. `chat.history`.
   */
  readonly fallback?: string;
  /**
   * eventId reads an event's id (for the chat, the message id), sent with each event
   * so that a client can resume after a reconnect (`ctx.resumeAfter`). A subscription
   * without it cannot resume: after a reconnect its subscriber gets `Code.EventsLost`.
   */
  readonly eventId?: (event: Infer<E>) => unknown;
  /** Who may subscribe, as {@link CallDef.allow}. */
  readonly allow?: AccessRule;
  /** handler returns the events; it should stop when `ctx.signal` aborts. */
  readonly handler: (args: ArgsOf<P>, ctx: Context) => AsyncIterable<Infer<E>>;
}

/** ProcedureDef is either kind of procedure. */
export type ProcedureDef = CallDef<Params, Schema> | SubscriptionDef<Params, Schema>;

/** ServiceTree is a nested object whose leaves are procedures; nesting gives dotted names. */
export interface ServiceTree {
  readonly [name: string]: AnyProcedure | ServiceTree;
}

/**
 * AnyProcedure matches every procedure definition, whatever its types. Handlers are
 * contravariant in their arguments, so the widest handler takes `never`; dispatch,
 * which has validated the arguments against the same definition, calls it through
 * {@link HandlerOf}. @internal
 */
export type AnyProcedure =
  | (Omit<CallDef, 'handler'> & { readonly handler: (args: never, ctx: Context) => unknown })
  | (Omit<SubscriptionDef, 'handler' | 'eventId'> & {
      readonly eventId?: (event: never) => unknown;
      readonly handler: (args: never, ctx: Context) => AsyncIterable<unknown>;
    });

/** HandlerOf is a handler as dispatch calls it: with validated arguments by name. @internal */
export type HandlerOf<R> = (args: Readonly<Record<string, unknown>>, ctx: Context) => R;

/** procedure defines a call: the result and argument types are inferred from the schemas. */
export function procedure<const P extends Params, R extends Schema>(def: {
  doc: string;
  params: P;
  result: R;
  allow?: AccessRule;
  handler: (args: ArgsOf<P>, ctx: Context) => Infer<R> | Promise<Infer<R>>;
}): CallDef<P, R> {
  return { kind: 'call', ...def };
}

/** subscription defines a push procedure whose handler yields events. */
export function subscription<const P extends Params, E extends Schema>(def: {
  doc: string;
  params: P;
  event: E;
  fallback?: string;
  eventId?: (event: Infer<E>) => unknown;
  allow?: AccessRule;
  handler: (args: ArgsOf<P>, ctx: Context) => AsyncIterable<Infer<E>>;
}): SubscriptionDef<P, E> {
  return { kind: 'subscription', ...def };
}

/** ServiceInfo names a service in discovery documents. */
export interface ServiceInfo {
  /** Title shown by `rpc.discover`. Defaults to "polyrpc service". */
  readonly title?: string;
  /** Version shown by `rpc.discover`. Defaults to "0.0.0". */
  readonly version?: string;
}

/** Service is a defined service: its procedure tree and its info. */
export interface Service<T extends ServiceTree = ServiceTree> {
  readonly tree: T;
  readonly info: Required<ServiceInfo>;
}

/** defineService wraps a procedure tree; pass its type to `createClient<typeof service>`. */
export function defineService<const T extends ServiceTree>(tree: T, info: ServiceInfo = {}): Service<T> {
  return { tree, info: { title: info.title ?? 'polyrpc service', version: info.version ?? '0.0.0' } };
}

/** isProcedure tells a procedure leaf from a namespace. @internal */
export function isProcedure(value: unknown): value is AnyProcedure {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return (
    (kind === 'call' || kind === 'subscription') &&
    typeof (value as { handler?: unknown }).handler === 'function'
  );
}
