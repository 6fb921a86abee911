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
import { type Credentials, credentialsFromParams, MAX_AUTH_FAILURES, runAuthenticate } from '../rpc/auth.js';
import { type Context, createConnectionContext } from '../rpc/context.js';
import { dispatch, type SentReply } from '../rpc/dispatch.js';
import { Code, RpcError } from '../rpc/errors.js';
import { type Call, type Id, type Push, PushMethod, type Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import { createSubscriptions, type Subscriptions } from '../rpc/subscriptions.js';
import type { ConnectionEvents, MessageConnection } from './connection.js';
import type { Instrument } from './observer.js';
import { dispatchBatch } from './respond.js';
import { SessionTelemetry } from './session-telemetry.js';
import { type Incoming, type Limits, Refused, type ServerCodec } from './types.js';

/** Output queued beyond this pauses reading from the peer (and blocks push) until it drains. */
const READ_PAUSE_BYTES = 1024 * 1024;
/** How long a connection ended for bad input lingers so its error reply is delivered. */
const CLOSE_GRACE_MS = 1000;
/** After a goaway: a peer with nothing in flight that has sent nothing since, for this long, is done. */
const GOAWAY_QUIET_MS = 500;

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
  readonly #identify: (auth: unknown) => void;
  /** Messages that arrived while `rpc.authenticate` ran: they wait for its answer. */
  #held: In[] | undefined;
  #authFailures = 0;
  /** The last refusal of rpc.authenticate: calls refused after it say why. */
  #authRefusal: RpcError | undefined;
  #subscriptions: Subscriptions | undefined;
  #inFlight = 0;
  #paused = false;
  #readEnded = false;
  #draining = false;
  #closed = false;
  /** Whether the peer has sent anything (a goaway goes only to a peer that has). */
  #heard = false;
  /** Set by drain(): since when the peer has been quiet (calls are now answered -32003). */
  #goAwayHeardAt: number | undefined;
  /** Whether the peer has sent anything since the goaway: then only its half-close (or the deadline) ends it. */
  #talkedAfterGoAway = false;
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
    const { context, abort, identify } = createConnectionContext({
      protocol: init.protocol,
      peer: conn.peer,
      subscriptions: () => this.#subs(),
    });
    this.#context = context;
    this.#abort = abort;
    this.#identify = identify;
    conn.open(this);
    // Mutual TLS: a verified client certificate is a credential before any message.
    const certificate = conn.peer?.certificate;
    if (init.registry.authenticate !== undefined && certificate !== undefined)
      this.#authenticate({ scheme: 'certificate', certificate }, undefined);
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
    this.#heard = true;
    if (this.#held !== undefined) {
      this.#hold(message);
      return;
    }
    const { codec, limits } = this.#init;
    if (this.#goAwayHeardAt !== undefined) {
      this.#talkedAfterGoAway = true;
      const id = codec.peekId?.(message);
      if (id !== undefined) {
        this.#conn.send(codec.encodeReply(notRun(id)));
        return;
      }
    }
    const incoming = codec.decode(message, limits);
    if (this.#goAwayHeardAt !== undefined) {
      if (incoming.kind === 'call' || incoming.kind === 'batch') {
        if (incoming.kind === 'call' && incoming.call.method === PushMethod.Ping) this.#pong(incoming.call);
        else notExecuted(this.#conn, codec, incoming);
        return;
      }
    }
    switch (incoming.kind) {
      case 'call':
        if (incoming.call.method === PushMethod.Ping) {
          this.#pong(incoming.call);
          break;
        }
        if (incoming.call.method === PushMethod.Authenticate) {
          this.#authenticateCall(incoming.call, incoming.rewrite);
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

  /**
   * drain closes the connection gracefully, the way HTTP/2's GOAWAY does: it sends the
   * peer `rpc.goaway [reason, deadlineMs]` (where the protocol has push), stops every
   * subscription (without an `end`: the client resumes it elsewhere), keeps answering
   * the calls it has started, answers every call it reads from now on -32003
   * (`Code.NotExecuted`, not run), and ends the connection once nothing is in flight
   * and the peer has half-closed or sent nothing for a short grace. The caller
   * destroys what is left at its deadline (`deadlineMs`, announced to the peer).
   */
  drain(deadlineMs = 0): void {
    if (this.#goAwayHeardAt !== undefined || this.#draining || this.#closed) return;
    this.#subscriptions?.closeAll();
    const encode = this.#init.codec.encodePush;
    if (!this.#heard || encode === undefined || this.#readEnded) {
      // A peer that never spoke (or cannot hear a goaway, or has stopped talking) is
      // ended as before: nothing it sent is left unanswered.
      this.#draining = true;
      this.#conn.pause();
      this.#maybeEnd();
      return;
    }
    this.#goAwayHeardAt = performance.now();
    this.#conn.send(encode.call(this.#init.codec, { kind: 'goaway', reason: 'shutdown', deadlineMs }));
    this.#whenQuiet();
  }

  /**
   * identify sets the connection's identity (`ctx.auth`) before any call, when the
   * transport authenticated the peer itself (a WebSocket upgrade's `Authorization`).
   */
  identify(identity: unknown): void {
    this.#identify(identity);
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

  // rpc.authenticate: answered here, so no middleware, handler or log sees the credential.
  #authenticateCall(call: Call, rewrite: ((r: Reply) => Reply) | undefined): void {
    let credentials: Credentials;
    try {
      credentials = credentialsFromParams(call.params);
    } catch (err) {
      this.#reply(call, err as RpcError, rewrite);
      return;
    }
    this.#authenticate(credentials, call, rewrite);
  }

  #authenticate(credentials: Credentials, call: Call | undefined, rewrite?: (r: Reply) => Reply): void {
    const { registry } = this.#init;
    const authenticate = registry.authenticate;
    if (authenticate === undefined) {
      // Nothing to prove to this server: say so, and stay anonymous.
      if (call !== undefined) this.#reply(call, true, rewrite);
      return;
    }
    this.#held ??= [];
    this.#inFlight++;
    const log = (m: string, f: Record<string, unknown>): void => registry.logger.error(m, f);
    void runAuthenticate(authenticate, credentials, this.#conn.peer, log).then((outcome) => {
      this.#inFlight--;
      if (this.#closed) return;
      if (outcome.ok) {
        this.#identify(outcome.identity);
        this.#authRefusal = undefined;
      } else {
        this.#authFailures++;
        this.#authRefusal = outcome.error;
      }
      if (call !== undefined) this.#reply(call, outcome.ok ? true : outcome.error, rewrite);
      if (!outcome.ok && this.#authFailures >= MAX_AUTH_FAILURES) {
        this.#held = undefined;
        this.#closeAfterError();
        return;
      }
      const held = this.#held ?? [];
      this.#held = undefined;
      for (let i = 0; i < held.length; i++) {
        this.message(held[i]!);
        // A later rpc.authenticate holds the rest again, in order.
        if (this.#held !== undefined) {
          for (let j = i + 1; j < held.length; j++) this.#hold(held[j]!);
          return;
        }
      }
      this.#updateFlow();
      this.#maybeEnd();
    });
  }

  // A message behind a pending rpc.authenticate waits; past maxInFlight, reading pauses.
  #hold(message: In): void {
    const held = this.#held!;
    held.push(message);
    if (held.length >= this.#init.limits.maxInFlight && !this.#paused) {
      this.#paused = true;
      this.#conn.pause();
    }
  }

  #reply(call: Call, outcome: unknown, rewrite: ((r: Reply) => Reply) | undefined): void {
    if (call.id === undefined) return;
    let reply: Reply =
      outcome instanceof RpcError
        ? { id: call.id, ok: false, error: outcome }
        : { id: call.id, ok: true, result: outcome };
    if (rewrite !== undefined) reply = rewrite(reply);
    this.#conn.send(this.#init.codec.encodeReply(reply));
  }

  #answered(reply: SentReply | null): void {
    this.#inFlight--;
    if (reply !== null) {
      if (!reply.ok && this.#authRefusal !== undefined && reply.error.code === Code.Unauthenticated)
        reply = { id: reply.id, ok: false, error: this.#authRefusal };
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

  // After a goaway: a peer that sends nothing more is ended once nothing is in flight
  // and it has read everything for GOAWAY_QUIET_MS (one that does not know rpc.goaway).
  // A peer still sending — a client whose pipeline was on its way, however slowly — is
  // ended by its half-close (a polyrpc client's, once its calls there are answered;
  // #maybeEnd) or by the deadline, never cut off in the middle.
  #whenQuiet(): void {
    if (this.#closed || this.#goAwayHeardAt === undefined || this.#talkedAfterGoAway) return;
    // Not reading (input paused) or not yet read (output queued) is not quiet.
    if (this.#paused || this.#conn.buffered > 0) this.#goAwayHeardAt = performance.now();
    const wait = this.#goAwayHeardAt + GOAWAY_QUIET_MS - performance.now();
    if (this.#inFlight === 0 && wait <= 0) {
      this.#draining = true;
      this.#maybeEnd();
      return;
    }
    setTimeout(() => this.#whenQuiet(), Math.max(10, wait)).unref();
  }

  #updateFlow(): void {
    const backlog = this.#conn.buffered > READ_PAUSE_BYTES;
    const shouldPause =
      this.#inFlight >= this.#init.limits.maxInFlight ||
      backlog ||
      (this.#held !== undefined && this.#held.length >= this.#init.limits.maxInFlight);
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

/** The -32003 answer to call `id`, read after the goaway and not run. */
function notRun(id: Id): Reply {
  const error = new RpcError(Code.NotExecuted, 'rpc: the server is shutting down; the call was not run', {
    data: { reason: 'shutdown' },
  });
  return { id, ok: false, error };
}

// A call (or batch) read after the goaway: answered -32003 without running, so the
// client knows it may send it again elsewhere. Notifications get nothing, as ever.
function notExecuted<In, Out>(
  conn: MessageConnection<In, Out>,
  codec: ServerCodec<In, Out>,
  incoming: Incoming & { kind: 'call' | 'batch' },
): void {
  const refuse = (call: Call): Reply | undefined => (call.id === undefined ? undefined : notRun(call.id));
  if (incoming.kind === 'call') {
    const reply = refuse(incoming.call);
    if (reply !== undefined) conn.send(codec.encodeReply(incoming.rewrite?.(reply) ?? reply));
    return;
  }
  const replies: Reply[] = [];
  for (const e of incoming.entries) {
    const reply = e instanceof Refused ? e.reply : refuse(e);
    if (reply !== undefined) replies.push(reply);
  }
  if (replies.length > 0 && codec.encodeBatch !== undefined) conn.send(codec.encodeBatch(replies));
}
