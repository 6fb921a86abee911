/**
 * The server side of one connection, whatever carries it: decode → dispatch →
 * encode, with what every connection needs written once — calls in flight and the
 * `maxInFlight` pause, output backpressure and `maxBufferedBytes`, the subscription
 * table and push ordering (no event overtakes its subscription's reply), blocked
 * push and the peer that never reads (`pushStallMs`), idle timeout, and graceful
 * drain. HTTP bodies go through `respond` (respond.ts), the same dispatch path without push.
 *
 * Failure contract: an undecodable message gets the codec's error reply and the
 * session goes on; broken framing closes the connection after the error frame; a
 * peer that ends its side (FIN) has its subscriptions ended at once and the
 * connection closes as soon as its calls in flight are answered. Nothing a peer
 * sends can throw out of a session.
 *
 * Exports: Session, SessionInit.
 */
import { type Context, createConnectionContext } from '../rpc/context.js';
import { dispatch, type SentReply } from '../rpc/dispatch.js';
import { Code, RpcError } from '../rpc/errors.js';
import { type Call, type Push, PushMethod } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import { createSubscriptions, type Subscriptions } from '../rpc/subscriptions.js';
import type { ConnectionEvents, MessageConnection } from './connection.js';
import type { Instrument } from './observer.js';
import { dispatchBatch } from './respond.js';
import { SessionTelemetry } from './session-telemetry.js';
import type { Incoming, Limits, ServerCodec } from './types.js';

/** Output queued beyond this pauses reading from the peer (and blocks push) until it drains. */
const READ_PAUSE_BYTES = 1024 * 1024;
/** How long a connection ended for bad input lingers so its error reply is delivered. */
const CLOSE_GRACE_MS = 1000;

/** SessionInit is what a session needs besides its connection. */
export interface SessionInit<In, Out> {
  readonly registry: Registry;
  readonly codec: ServerCodec<In, Out>;
  readonly limits: Limits;
  /** The protocol name handlers see in `Context.protocol`. */
  readonly protocol: string;
  /** Called once, after the connection has closed (one function shared by every session). */
  readonly onClose?: (session: Session<In, Out>) => void;
  /** Metrics and tracing (observer.ts); absent, the session reports nothing and pays nothing. */
  readonly instrument?: Instrument;
}

/**
 * Session serves one connection. It is a class so that its state is in one place and
 * its handlers are bound once per connection, not once per message.
 */
export class Session<In, Out> implements ConnectionEvents<In, Out> {
  readonly #conn: MessageConnection<In, Out>;
  readonly #init: SessionInit<In, Out>;
  readonly #context: Context;
  readonly #abort: () => void;
  #subscriptions: Subscriptions | undefined;
  #inFlight = 0;
  #paused = false;
  #readEnded = false;
  #draining = false;
  #closed = false;
  /** Push waiting for the peer to read: one promise shared by every blocked stream. */
  #pushWait: { promise: Promise<void>; resolve: () => void } | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  readonly #telemetry: SessionTelemetry | undefined;
  readonly #settle = (reply: SentReply | null): void => this.#answered(reply);

  constructor(conn: MessageConnection<In, Out>, init: SessionInit<In, Out>) {
    this.#conn = conn;
    this.#init = init;
    if (init.instrument !== undefined)
      this.#telemetry = new SessionTelemetry(init.instrument, init.protocol, init.registry);
    const { context, abort } = createConnectionContext({
      protocol: init.protocol,
      peer: conn.peer,
      subscriptions: () => this.#subs(),
    });
    this.#context = context;
    this.#abort = abort;
    conn.open(this);
    // Quiet is fine while a call runs or a subscriber waits for events.
    conn.setIdleTimeout(
      init.limits.idleTimeoutMs,
      () => this.#inFlight === 0 && (this.#subscriptions?.size ?? 0) === 0,
    );
  }

  /** inFlight is the number of calls dispatched and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  // --- ConnectionEvents -----------------------------------------------------

  message(message: In): void {
    if (this.#draining) return;
    const { codec, limits } = this.#init;
    const incoming = codec.decode(message, limits);
    switch (incoming.kind) {
      case 'call':
        if (incoming.call.method === PushMethod.Ping) {
          this.#pong(incoming.call);
          break;
        }
        if (incoming.call.method === PushMethod.Trace && incoming.call.id === undefined) {
          this.#telemetry?.trace(incoming.call);
          break;
        }
        this.#inFlight++;
        if (incoming.rewrite === undefined) this.#dispatch(incoming.call, this.#settle);
        else {
          const rewrite = incoming.rewrite;
          this.#dispatch(incoming.call, (r) => this.#settle(r && rewrite(r)));
        }
        break;
      case 'batch':
        this.#inFlight++;
        void this.#batch(incoming);
        break;
      case 'reply':
        this.#telemetry?.refused(incoming.reply);
        this.#conn.send(codec.encodeReply(incoming.reply));
        if (incoming.close === true) this.#closeAfterError();
        break;
      case 'close':
        this.#conn.destroy();
        break;
      case 'ignore':
        break;
    }
    if (this.#inFlight >= limits.maxInFlight) this.#updateFlow();
  }

  broken(reason: string, reply?: Out): void {
    this.#telemetry?.broken(reason);
    if (reply !== undefined) this.#conn.send(reply);
    this.#closeAfterError();
  }

  ended(): void {
    this.#readEnded = true;
    // Nobody is left to unsubscribe: the peer's streams end now, not at the next push.
    this.#subscriptions?.closeAll();
    this.#maybeEnd();
  }

  drained(): void {
    this.#releasePush();
    if (this.#paused) this.#updateFlow();
  }

  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#releasePush();
    this.#abort();
    this.#init.onClose?.(this);
  }

  // --- control --------------------------------------------------------------

  /** drain stops reading, ends every subscription, and closes once calls in flight are answered. */
  drain(): void {
    this.#draining = true;
    this.#conn.pause();
    this.#subscriptions?.closeAll();
    this.#maybeEnd();
  }

  /** destroy closes the connection at once. */
  destroy(): void {
    this.#conn.destroy();
  }

  // --- internals ------------------------------------------------------------

  #dispatch(call: Call, settle: (reply: SentReply | null) => void): void {
    const t = this.#telemetry;
    if (t === undefined) dispatch(this.#init.registry, call, this.#context).then(settle);
    else t.dispatch(call, this.#context, settle);
  }

  // A heartbeat is answered here: it never reaches dispatch, middleware or a handler.
  #pong(call: Call): void {
    if (call.id !== undefined)
      this.#conn.send(this.#init.codec.encodeReply({ id: call.id, ok: true, result: true }));
  }

  #answered(reply: SentReply | null): void {
    this.#inFlight--;
    if (reply !== null) {
      this.#conn.send(this.#init.codec.encodeReply(reply));
      reply.onSent?.();
    }
    if (this.#overLimit()) return;
    if (this.#paused || this.#conn.buffered > READ_PAUSE_BYTES) this.#updateFlow();
    this.#maybeEnd();
  }

  async #batch(incoming: Incoming & { kind: 'batch' }): Promise<void> {
    const t = this.#telemetry;
    const traceparent = t?.takeTrace();
    const replies = await dispatchBatch(
      this.#init.registry,
      incoming.entries,
      this.#context,
      incoming.sequential,
      t === undefined ? undefined : (call, ctx) => t.observed(call, ctx, traceparent),
    );
    this.#inFlight--;
    const encode = this.#init.codec.encodeBatch;
    if (replies.length > 0 && encode !== undefined) {
      this.#conn.send(encode.call(this.#init.codec, replies));
      for (const r of replies) r.onSent?.();
    }
    if (!this.#overLimit()) this.#maybeEnd();
  }

  #subs(): Subscriptions {
    if (this.#subscriptions === undefined) {
      const subs = createSubscriptions((push) => this.#push(push));
      this.#subscriptions = this.#telemetry === undefined ? subs : this.#telemetry.subscriptions(subs);
    }
    return this.#subscriptions;
  }

  #push(push: Push): undefined | Promise<void> {
    const encode = this.#init.codec.encodePush;
    if (encode === undefined || this.#closed) {
      this.#telemetry?.pushed(push, false);
      return undefined;
    }
    this.#telemetry?.pushed(push, true);
    this.#conn.send(encode.call(this.#init.codec, push));
    if (this.#overLimit()) return undefined;
    if (this.#conn.buffered <= READ_PAUSE_BYTES) return undefined;
    return this.#blockPush();
  }

  // A stream whose output the peer does not read waits here. Past `pushStallMs` its
  // streams end with the overflow error; past twice that the connection is cut.
  #blockPush(): Promise<void> {
    if (this.#pushWait !== undefined) return this.#pushWait.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#pushWait = { promise, resolve };
    this.#conn.waitDrain();
    const stall = this.#init.limits.pushStallMs;
    this.#stallTimer = setTimeout(() => {
      this.#telemetry?.limit('timeout');
      this.#subscriptions?.endAll(
        new RpcError(Code.LimitExceeded, `rpc: subscriber not reading for ${stall} ms; stream ended`),
      );
      this.#stallTimer = setTimeout(() => this.#conn.destroy(), stall);
      this.#stallTimer.unref();
    }, stall);
    this.#stallTimer.unref();
    return promise;
  }

  #releasePush(): void {
    if (this.#stallTimer !== undefined) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    const wait = this.#pushWait;
    this.#pushWait = undefined;
    wait?.resolve();
  }

  // A peer that does not read its output is cut off rather than growing our memory.
  #overLimit(): boolean {
    if (this.#conn.buffered <= this.#init.limits.maxBufferedBytes) return false;
    this.#telemetry?.cutOff();
    this.#conn.destroy();
    return true;
  }

  #maybeEnd(): void {
    if (this.#inFlight > 0 || this.#closed) return;
    if (this.#draining || this.#readEnded) this.#conn.end();
  }

  #updateFlow(): void {
    const backlog = this.#conn.buffered > READ_PAUSE_BYTES;
    const shouldPause = this.#inFlight >= this.#init.limits.maxInFlight || backlog;
    if (shouldPause && !this.#paused) {
      if (!backlog) this.#telemetry?.limit('in_flight');
      this.#paused = true;
      this.#conn.pause();
      if (backlog) this.#conn.waitDrain();
    } else if (!shouldPause && this.#paused && !this.#draining) {
      this.#paused = false;
      this.#conn.resume();
    }
  }

  // After a fatal framing error: answer, then end. The adapter reads and drops what
  // the peer still sends (so it never blocks on a full window), and the connection is
  // destroyed after a short grace that lets the error reply reach the peer first.
  #closeAfterError(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#subscriptions?.closeAll();
    if (this.#paused) {
      this.#paused = false;
      this.#conn.resume();
    }
    setTimeout(() => this.#conn.destroy(), CLOSE_GRACE_MS).unref();
    this.#maybeEnd();
  }
}
