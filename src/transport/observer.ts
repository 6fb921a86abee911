/**
 * The instrumentation seam: what the connection code (sessions, the TCP and WebSocket
 * listeners, the HTTP plumbing) tells an {@link Observer} — connections, bytes, calls,
 * limits, subscriptions and pushes — and the one wrapper around `dispatch` that times
 * a call, names it safely and traces it. Prometheus metrics (`metrics.ts`) are one
 * observer; tracing (`tracing.ts`) rides on the same wrapper.
 *
 * With no observer and no tracer configured, the connection code pays one
 * `undefined` check per message: nothing here runs.
 *
 * Exports: Observer, LimitName, ByteCounts, Instrument, methodLabel, limitOf, observeDispatch.
 */
import type { Context } from '../rpc/context.js';
import { dispatch, type SentReply } from '../rpc/dispatch.js';
import { Code } from '../rpc/errors.js';
import { type Call, PushMethod, type Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import { type CallSpan, startCallSpan } from './tracing.js';

/**
 * LimitName is a limit that refused a peer's input or cut a peer off:
 * - `too_large`: a message (HTTP body, line, frame, WebSocket message) over `maxMessageBytes`;
 * - `too_deep`: nesting over `maxDepth`;
 * - `batch`: a batch (JSON-RPC batch, `system.multicall`) over `maxBatch`;
 * - `in_flight`: reading paused because a connection reached `maxInFlight` calls;
 * - `buffered`: a peer cut off for leaving more than `maxBufferedBytes` unread;
 * - `timeout`: an HTTP request not whole within `requestTimeoutMs`, or server push
 *   blocked past `pushStallMs` (the streams end).
 */
export type LimitName =
  | 'too_large'
  | 'too_deep'
  | 'batch'
  | 'in_flight'
  | 'buffered'
  | 'timeout'
  | 'connections';

/** ByteCounts are a socket's running totals (a `net.Socket` is one), read when metrics are collected. */
export interface ByteCounts {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/**
 * Observer receives what happens on a server's connections. Every method is called
 * synchronously on the connection's turn and must not throw; keep each one cheap (a
 * few counter updates), since `callDone` runs once per call.
 *
 * `protocol` is a label: the protocol's name (`xmlrpc`, `jsonrpc`, `msgpack`,
 * `websocket`), `jsonrpc+http` for a protocol's HTTP binding when it also has its own
 * TCP listener, and `http` for connections of the shared HTTP port. `method` is
 * always a name from the registry (or a built-in `rpc.*`/`system.*` name), or
 * `(unknown)`: see {@link methodLabel}.
 */
export interface Observer {
  /** connectionOpened counts an accepted connection; `bytes`, when given, is read at collection time. */
  connectionOpened(protocol: string, bytes?: ByteCounts): void;
  /** connectionClosed is called once per opened connection, with the same `bytes`. */
  connectionClosed(protocol: string, bytes?: ByteCounts): void;
  /** bytes counts message bytes of a connection without its own counts (an HTTP body and its answer). */
  bytes(protocol: string, received: number, sent: number): void;
  /** callDone reports one answered call: `code` is 0 for success, else the error code. */
  callDone(protocol: string, method: string, code: number, seconds: number): void;
  /** limitRejected counts one refusal or cut-off by a limit. */
  limitRejected(protocol: string, limit: LimitName): void;
  /** subscriptionOpened counts a subscription that started (its reply was sent). */
  subscriptionOpened(method: string): void;
  /** subscriptionClosed is called once per opened subscription, however it ended. */
  subscriptionClosed(method: string): void;
  /** pushEvent counts one event sent to a subscriber. */
  pushEvent(method: string): void;
  /** pushDropped counts one event that could not be delivered (the connection was gone). */
  pushDropped(method: string): void;
}

/**
 * Instrument is what a server's connections report to: an observer (metrics) and a
 * tracer (tracing), either of which may be absent. A connection is given one only
 * when at least one is set.
 * @internal
 */
export interface Instrument {
  readonly observer?: Observer;
  /** Set only when tracing is on (an OpenTelemetry SDK is installed, or `tracing: true`). */
  readonly tracing?: boolean;
}

/** The label of a method name that is not registered: one value, whatever callers send. */
export const UNKNOWN_METHOD = '(unknown)';

const BUILT_IN = new Set<string>([PushMethod.Unsubscribe, PushMethod.Resubscribe, 'system.multicall']);

/**
 * methodLabel returns `method` when the registry serves it (or it is a built-in),
 * else `(unknown)`, so that no caller can grow a label set or a span name by sending
 * made-up names.
 */
export function methodLabel(registry: Registry, method: unknown): string {
  if (typeof method !== 'string') return UNKNOWN_METHOD;
  return registry.procedures.has(method) || BUILT_IN.has(method) ? method : UNKNOWN_METHOD;
}

/**
 * limitOf tells which limit an error answered by a codec or framer (code -32000, or
 * a framing failure's reason) stands for, or undefined when it is no limit. The
 * codecs word these errors alike (`…exceeds…`/`…longer than…`, `…nested deeper…`,
 * `batch…`/`multicall…`); the metrics tests cover each protocol's wording.
 */
export function limitOf(message: string): LimitName | undefined {
  if (/batch|multicall/i.test(message)) return 'batch';
  if (/deep/i.test(message)) return 'too_deep';
  if (/exceed|longer than|too long|too large/i.test(message)) return 'too_large';
  return undefined;
}

/** limitOfReply is {@link limitOf} for a codec's ready-made error reply. */
export function limitOfReply(reply: Reply): LimitName | undefined {
  return !reply.ok && reply.error.code === Code.LimitExceeded ? limitOf(reply.error.message) : undefined;
}

// The clock, read at most once per microtask checkpoint. A clock read costs about
// 0.1 µs on the VMs measured (kvm-clock), and a call needs two: a sixth of a msgpack
// call's server CPU. Calls decoded from one chunk, or answered in one checkpoint, share
// a reading, which is what their durations could tell apart anyway.
let now = -1;
const forget = (): void => {
  now = -1;
};
function clock(): number {
  if (now < 0) {
    now = performance.now();
    queueMicrotask(forget);
  }
  return now;
}

/**
 * observeDispatch runs `dispatch` for one call and reports it: its duration and outcome
 * to the observer, and a span around it when tracing is on (continuing `traceparent`,
 * the caller's W3C trace context, when one came with the call). A notification's
 * outcome is not reported by dispatch: it counts as code 0. `next`, when given, takes
 * the reply in the same microtask (a session settles it there: no second promise per
 * call) and its result is what the promise resolves to.
 * @internal
 */
export function observeDispatch<R = SentReply | null>(
  instrument: Instrument,
  protocol: string,
  registry: Registry,
  call: Call,
  ctx: Context,
  traceparent?: string,
  next?: (reply: SentReply | null) => R,
): Promise<R> {
  const method = methodLabel(registry, call.method);
  const start = clock();
  let span: CallSpan | undefined;
  let pending: Promise<SentReply | null>;
  if (instrument.tracing === true) {
    span = startCallSpan(method, protocol, ctx.peer, traceparent);
    pending = span.run(() => dispatch(registry, call, ctx));
  } else pending = dispatch(registry, call, ctx);
  const observer = instrument.observer;
  return pending.then((reply) => {
    const code = reply === null || reply.ok ? 0 : reply.error.code;
    observer?.callDone(protocol, method, code, (clock() - start) / 1000);
    span?.end(reply === null || reply.ok ? undefined : reply.error);
    return next === undefined ? (reply as R) : next(reply);
  });
}
