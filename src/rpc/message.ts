/**
 * The neutral, protocol-free messages that every codec decodes to and encodes from.
 * Only types live here.
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
   * Client → server notification `[traceparent]` (a W3C trace context): the next call
   * or batch on the connection continues that trace. Taken by the session itself;
   * peers that do not know it ignore it, as they do any unknown notification.
   */
  Trace: 'rpc.trace',
} as const;
