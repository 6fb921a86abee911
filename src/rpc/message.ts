/**
 * The neutral, protocol-free messages that every codec decodes to and encodes from.
 * Only types, the reserved method names and the reading of `rpc.goaway` live here.
 */
import type { RpcError } from './errors.js';

/** Id identifies a request so its reply can be matched. `null` is a valid JSON-RPC id. */
export type Id = string | number | null;

/** Params are positional (an array) or named (an object keyed by parameter name). */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * Call is one decoded request. `id` is `undefined` for a notification, which never
 * gets a reply.
 */
export interface Call {
  readonly id?: Id;
  readonly method: string;
  readonly params?: Params;
}

/** Reply is the outcome of one call: a result or an error, tagged by `ok`. */
export type Reply =
  | { readonly id: Id; readonly ok: true; readonly result: unknown }
  | { readonly id: Id; readonly ok: false; readonly error: RpcError };

/** SubscriptionId names one live subscription within a connection. */
export type SubscriptionId = number;

/**
 * Push is a server-initiated message for a subscription: an event, or the end of the
 * stream (with an error when it ended abnormally).
 */
export type Push =
  | {
      readonly kind: 'event';
      readonly subscription: SubscriptionId;
      readonly event: unknown;
      /** The event's id, when its subscription declares one (`eventId`): the resume cursor. */
      readonly eventId?: unknown;
    }
  | { readonly kind: 'end'; readonly subscription: SubscriptionId; readonly error?: RpcError };

/** ServerPush is any server-initiated message: a subscription's {@link Push}, or the connection's {@link GoAway}. */
export type ServerPush = Push | GoAway;

/**
 * GoAway tells a client that the server is closing this connection (it is shutting
 * down), the way HTTP/2's GOAWAY does: calls it has started are still answered, calls
 * it receives from now on are answered -32003 (`Code.NotExecuted`) without running,
 * subscriptions on the connection are stopped (without an `end`), and the connection
 * closes once the client half-closes, or has nothing in flight and stays quiet for a
 * short grace, or at the latest after `deadlineMs`. The client should move to a new
 * connection. On the wire: `rpc.goaway [reason, deadlineMs]`.
 */
export interface GoAway {
  readonly kind: 'goaway';
  /** Why, e.g. `shutdown`. */
  readonly reason: string;
  /** The most the server waits before closing the connection, in ms from when it was sent. */
  readonly deadlineMs: number;
}

/** Method names reserved for the subscription exchange on connection-oriented protocols. */
export const PushMethod = {
  /**
   * Server → client notification carrying one event: params `[subscription, event]`, or
   * `[subscription, event, eventId]` when the subscription's events have ids.
   */
  Event: 'rpc.event',
  /** Server → client notification ending a subscription: params `[subscription, error?]`. */
  End: 'rpc.end',
  /** Client → server call ending a subscription: params `[subscription]`, result `true`. */
  Unsubscribe: 'rpc.unsubscribe',
  /**
   * Client → server call re-opening a subscription after a reconnect: params
   * `[method, params, lastEventId]` (`lastEventId` null when no event was seen). The
   * handler runs with `ctx.resumeAfter` set; the result is a new subscription id.
   */
  Resubscribe: 'rpc.resubscribe',
  /**
   * Client → server heartbeat: params `[]`, result `true`. Answered by the session
   * itself, never by a procedure or middleware.
   */
  Ping: 'rpc.ping',
  /**
   * Client → server call proving who the caller is, on a connection: params
   * `[credential]` (a token string, or `{username, password}`), result `true`, or error
   * -32010. The identity holds for every later call on the connection; calls sent
   * behind it wait for its answer. Answered by the session, never by a procedure,
   * middleware or a log line. Five refusals close the connection.
   */
  Authenticate: 'rpc.authenticate',
  /**
   * Server → client notification that the connection is going away (see {@link GoAway}):
   * params `[reason, deadlineMs]`.
   */
  GoAway: 'rpc.goaway',
  /**
   * Client → server notification `[traceparent]` (a W3C trace context): the next call
   * or batch on the connection continues that trace. Taken by the session itself;
   * peers that do not know it ignore it, as they do any unknown notification.
   */
  Trace: 'rpc.trace',
} as const;

/** goAwayFrom reads the params of an `rpc.goaway` notification; undefined when they are not `[string, number ≥ 0]`. */
export function goAwayFrom(params: unknown): GoAway | undefined {
  if (!Array.isArray(params)) return undefined;
  const [reason, deadlineMs] = params as unknown[];
  if (typeof reason !== 'string' || typeof deadlineMs !== 'number' || !(deadlineMs >= 0)) return undefined;
  return { kind: 'goaway', reason, deadlineMs };
}
