/**
 * The client of every connection-oriented protocol, over the message seam: one
 * connection, many calls in flight matched by id ({@link PendingCalls}), server push
 * routed to subscriptions, and every pending call failed when the connection dies
 * (Go net/rpc "terminate pending calls"). A protocol supplies its codec and a way to
 * dial; TCP, in-process pairs and WebSocket all fit.
 *
 * Exports: createMessageClient, MessageClientInit.
 */
import { Code } from '../rpc/errors.js';
import { PushMethod, type Reply, type ServerPush } from '../rpc/message.js';
import { authenticateParams, type ResolvedAuth } from './client-auth.js';
import { ClientStream, type StreamOwner } from './client-stream.js';
import type { MessageConnection } from './connection.js';
import { ResponseError, TransportError } from './errors.js';
import { Link, type LinkOwner } from './link.js';
import { Outbox } from './outbox.js';
import { PendingCalls } from './pending-calls.js';
import {
  Backoff,
  type HeartbeatPolicy,
  type ReconnectPolicy,
  resolveHeartbeat,
  resolveReconnect,
  StateListeners,
} from './reconnect.js';
import { Retiring } from './retiring.js';
import { activeTraceparent, tracingInstalled } from './tracing.js';
import type {
  CallOptions,
  ClientCodec,
  ClientIncoming,
  ClientOptions,
  ClientTransport,
  ConnectionState,
  OutgoingCall,
  RemoteSubscription,
  Settled,
  StateChange,
} from './types.js';

/** MessageClientInit says how to reach the server and how to speak. */
export interface MessageClientInit<In, Out> {
  /** Protocol name, for error messages (`msgpack`, `jsonrpc`). */
  readonly protocol: string;
  /** Where the server is, for error messages (`127.0.0.1:8002`). */
  readonly where: string;
  readonly codec: ClientCodec<In, Out>;
  /** dial opens a connection; it rejects with the underlying error when it cannot. */
  dial(): Promise<MessageConnection<In, Out>>;
  readonly options?: ClientOptions;
  /** The credential sent as `rpc.authenticate` first on every connection. */
  readonly auth?: ResolvedAuth;
}

class MessageClient<In, Out> implements ClientTransport, LinkOwner<In, Out>, StreamOwner {
  readonly protocol: string;
  readonly where: string;
  readonly pending: PendingCalls;
  /** batch is present only where the codec has batches. */
  readonly batch?: (calls: readonly OutgoingCall[], options?: CallOptions) => Promise<Settled[]>;
  readonly #bufferSize: number;
  /** How many times a -32003 (not executed) call is sent again. */
  readonly #retryNotExecuted: number;
  /** Connections the server said `rpc.goaway` on, still answering calls in flight. */
  readonly #retiring = new Retiring<In, Out>();
  readonly #reconnect: ReconnectPolicy | undefined;
  readonly #heartbeat: HeartbeatPolicy | undefined;
  readonly #backoff: Backoff | undefined;
  readonly #state = new StateListeners();
  /** The current connection attempt (dialing or open). */
  #link: Link<In, Out> | undefined;
  /** The connection messages go straight to; undefined while not open. */
  #conn: MessageConnection<In, Out> | undefined;
  #everOpened = false;
  #closed = false;
  #redial: NodeJS.Timeout | undefined;
  /** Messages waiting for a connection, and idempotent calls to send again. */
  readonly #outbox: Outbox<Out>;
  readonly #streams = new Set<ClientStream>();
  /** Subscription ids whose pushes nobody reads and that were asked to stop. */
  readonly #orphans = new Set<number>();
  /** Whether an OpenTelemetry SDK was installed when the client was made (tracing.ts). */
  readonly #tracing = tracingInstalled();

  constructor(readonly init: MessageClientInit<In, Out>) {
    this.protocol = init.protocol;
    this.where = init.where;
    this.pending = new PendingCalls(init.protocol, init.options?.timeout ?? 30_000);
    this.#bufferSize = init.options?.subscriptionBuffer ?? 1024;
    this.#retryNotExecuted = Math.max(0, init.options?.retryNotExecuted ?? 2);
    this.#reconnect = resolveReconnect(init.options);
    this.#heartbeat = resolveHeartbeat(init.options);
    this.#backoff = this.#reconnect && new Backoff(this.#reconnect);
    this.#outbox = new Outbox(this.pending, this.#reconnect?.maxQueued ?? Number.POSITIVE_INFINITY);
    if (init.codec.encodeBatch !== undefined) this.batch = (calls, options) => this.#batch(calls, options);
  }

  get state(): ConnectionState {
    return this.#state.state;
  }

  onState(listener: (state: ConnectionState, why?: StateChange) => void): () => void {
    return this.#state.add(listener);
  }

  /** Whether a subscription cut off by a lost connection will be re-opened on the next one. */
  get resuming(): boolean {
    return !this.#closed && this.#reconnect !== undefined && this.#everOpened;
  }

  /** Whether anything waits on the connection (the heartbeat runs only then). */
  get busy(): boolean {
    return this.pending.size > 0 || this.#streams.size > 0;
  }

  call(call: OutgoingCall, options?: CallOptions): Promise<unknown> {
    const refused = this.#refused(options);
    if (refused !== undefined) return Promise.reject(refused);
    const { id, promise } = this.pending.add(options, this.#retryNotExecuted > 0 ? { call } : undefined);
    let message: Out;
    try {
      message = this.init.codec.encodeCall(id, call);
    } catch (err) {
      // An argument the codec cannot encode fails the call at once; its entry must not linger.
      this.pending.fail(id, asError(err));
      return promise;
    }
    if (options?.idempotent === true) this.#outbox.remember(id, message, promise);
    if (this.#tracing) this.#sendTrace();
    this.#send(id, message);
    return promise;
  }

  async notify(call: OutgoingCall): Promise<void> {
    const refused = this.#refused(undefined);
    if (refused !== undefined) throw refused;
    const encode = this.init.codec.encodeNotify;
    if (encode === undefined) throw new TypeError(`${this.protocol}: this protocol has no notifications`);
    const message = encode.call(this.init.codec, call);
    if (this.#conn !== undefined) {
      this.#conn.send(message);
      return;
    }
    if (!this.#enqueue(undefined, message)) throw this.#queueFull();
  }

  async #batch(calls: readonly OutgoingCall[], options?: CallOptions): Promise<Settled[]> {
    const encode = this.init.codec.encodeBatch;
    if (encode === undefined) throw new TypeError(`${this.protocol}: this protocol has no batches`);
    if (calls.length === 0) return [];
    const refused = this.#refused(options);
    if (refused !== undefined) throw refused;
    const entries = this.pending.addBatch(calls.length, options);
    const ids = entries.map((e) => e.id);
    let message: Out;
    try {
      message = encode.call(this.init.codec, ids, calls);
    } catch (err) {
      for (const id of ids) this.pending.fail(id, asError(err));
      throw asError(err);
    }
    if (this.#tracing) this.#sendTrace();
    this.#send(ids[0], message, ids);
    const replies = await Promise.all(entries.map((e) => e.promise));
    return replies.map(
      (r: Reply): Settled => (r.ok ? { ok: true, value: r.result } : { ok: false, error: r.error }),
    );
  }

  subscribe(call: OutgoingCall, options?: CallOptions): RemoteSubscription<unknown> {
    const stream = new ClientStream(this, call, options, this.#bufferSize);
    this.#streams.add(stream);
    stream.open();
    return stream.subscription;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redial !== undefined) clearTimeout(this.#redial);
    this.#redial = undefined;
    const link = this.#link;
    this.#link = undefined;
    this.#conn = undefined;
    this.#state.set('closed');
    this.#failEverything(new TransportError('closed', `${this.protocol}: client closed`));
    this.#retiring.destroyAll();
    await link?.shutdown();
  }

  // --- for streams --------------------------------------------------------------

  send(
    call: OutgoingCall,
    options: CallOptions | undefined,
    onReply: (reply: Reply) => void,
  ): Promise<Reply> {
    const refused = this.#refused(options);
    if (refused !== undefined) return Promise.reject(refused);
    const { id, promise } = this.pending.add<Reply>(options, { unwrap: false, onReply });
    try {
      this.#send(id, this.init.codec.encodeCall(id, call));
    } catch (err) {
      this.pending.fail(id, asError(err));
    }
    return promise;
  }

  unsubscribe(subId: number): void {
    this.#orphans.add(subId); // its events still on the way are dropped quietly
    if (this.#conn !== undefined)
      this.call({ method: PushMethod.Unsubscribe, params: [subId] }, { timeout: 5000 }).catch(() => {});
  }

  forget(stream: ClientStream): void {
    this.#streams.delete(stream);
  }

  // --- from the link ----------------------------------------------------------

  decode(message: In): ClientIncoming {
    return this.init.codec.decode(message);
  }

  incoming(incoming: ClientIncoming, link: Link<In, Out>): void {
    switch (incoming.kind) {
      case 'reply': {
        const reply = incoming.reply;
        if (link.retiring !== undefined) link.answered(reply.id);
        if (reply.id === null && !reply.ok) this.#unaddressed(reply.error);
        else if (reply.ok || reply.error.code !== Code.NotExecuted || !this.#resend(reply.id))
          this.pending.settle(reply);
        break;
      }
      case 'batch':
        for (const reply of incoming.replies) {
          if (link.retiring !== undefined) link.answered(reply.id);
          this.pending.settle(reply);
        }
        break;
      case 'push':
        // A retiring connection's streams were moved: what still comes on it is resent there.
        if (link.retiring === undefined) this.#push(incoming.push, link);
        break;
      case 'invalid': {
        const error = new ResponseError(`${this.protocol}: ${incoming.message}`);
        // A message that names no call (a stray notification) is dropped.
        if (typeof incoming.id === 'number') this.pending.fail(incoming.id, error);
        break;
      }
    }
  }

  opened(link: Link<In, Out>): void {
    if (this.#link !== link || link.conn === undefined) return;
    this.#conn = link.conn;
    this.#everOpened = true;
    this.#backoff?.reset();
    this.#state.set('open');
    // Authenticate first: the server holds what follows until it has answered, so
    // nothing waits a round trip, and a refusal answers every queued call with it too.
    if (this.init.auth !== undefined) this.#authenticate(this.init.auth);
    // Subscriptions first, so that no queued call overtakes the resumption of a stream.
    for (const stream of [...this.#streams]) if (stream.detached) stream.open();
    const conn = link.conn;
    this.#outbox.flush((m) => conn.send(m));
  }

  lost(link: Link<In, Out>, error: Error): void {
    const left = this.#retiring.take(link);
    if (left !== undefined) {
      // Calls still in flight on a connection the server retired: outcome unknown
      // (idempotent ones are sent once more).
      const again = this.#outbox.again(left);
      for (const id of left) if (again?.has(id) !== true) this.pending.fail(id, error);
      if (again !== undefined && this.#conn !== undefined) {
        const conn = this.#conn;
        this.#outbox.flush((m) => conn.send(m));
      } else if (again !== undefined && this.#link === undefined && !this.#closed) this.#scheduleRedial();
      return;
    }
    if (this.#link !== link) return;
    const wasOpen = this.#conn !== undefined;
    this.#link = undefined;
    this.#conn = undefined;
    this.#orphans.clear();
    if (this.#closed) return;
    if (!this.resuming) {
      // Not reconnecting (turned off, or it never connected): everything fails now,
      // and the next call dials again.
      this.#failEverything(error);
      this.#state.set(this.#everOpened ? 'reconnecting' : 'connecting');
      return;
    }
    if (wasOpen) {
      // Calls in flight may or may not have run: they fail, unless marked idempotent
      // (then they are sent once more). Streams wait to be resumed.
      // Those in flight on retiring connections are answered there.
      this.pending.failCalls(error, this.#retiring.keep(this.#outbox.again()));
      this.pending.forgetStreams();
      for (const stream of this.#streams) stream.detach();
    }
    this.#state.set('reconnecting');
    this.#scheduleRedial();
  }

  closedError(link: Link<In, Out>): TransportError {
    const where = this.init.where;
    if (this.#closed) return new TransportError('closed', `${this.protocol}: client closed`);
    if (!link.heard && this.pending.size > 0)
      return new TransportError(
        'closed',
        `${this.protocol}: ${where} closed the connection before any reply; the outcome of calls in flight is unknown`,
      );
    return new TransportError(
      'closed',
      `${this.protocol}: connection to ${where} closed; the outcome of calls in flight is unknown`,
    );
  }

  ping(): void {
    this.call({ method: PushMethod.Ping, params: [] }, { timeout: 0 }).catch(() => {});
  }

  // --- internals --------------------------------------------------------------

  // A refused credential is not retried on this connection (the server counts refusals);
  // the calls behind it carry the refusal to their callers.
  #authenticate(auth: ResolvedAuth): void {
    this.call({ method: PushMethod.Authenticate, params: authenticateParams(auth) }).catch(() => {});
  }

  // The server is going away on `link` (rpc.goaway): nothing new goes out on it, its
  // calls in flight are answered there, and the client moves at once to a new
  // connection — streams resume there, -32003 calls are sent again there.
  #goAway(link: Link<In, Out>): void {
    if (this.#link !== link || this.#closed) return;
    this.#link = undefined;
    this.#conn = undefined;
    this.#orphans.clear();
    this.#retiring.add(link, this.pending.ids());
    this.pending.forgetStreams();
    for (const stream of this.#streams) stream.detach();
    this.#state.set('reconnecting', 'goaway');
    this.#dial();
  }

  // A -32003 reply: the call never ran, so it is sent again (bounded, within its
  // deadline) on the current connection, or queued for the next one.
  #resend(id: unknown): boolean {
    const call = this.pending.resendable(id, this.#retryNotExecuted);
    if (call === undefined || typeof id !== 'number') return false;
    let message: Out;
    try {
      message = this.init.codec.encodeCall(id, call);
    } catch {
      return false;
    }
    this.#send(id, message);
    return true;
  }

  // The hot path: one check when the connection is open.
  #send(id: number | undefined, message: Out, ids?: readonly number[]): void {
    const conn = this.#conn;
    if (conn !== undefined) {
      conn.send(message);
      return;
    }
    if (this.#enqueue(id, message)) return;
    const error = this.#queueFull();
    for (const each of ids ?? (id === undefined ? [] : [id])) this.pending.fail(each, error);
  }

  // The active span's trace context goes just before the call it applies to, as an
  // `rpc.trace` notification (ignored by peers that do not know it).
  #sendTrace(): void {
    const encode = this.init.codec.encodeNotify;
    const traceparent = encode === undefined ? undefined : activeTraceparent();
    if (encode === undefined || traceparent === undefined) return;
    const message = encode.call(this.init.codec, { method: PushMethod.Trace, params: [traceparent] });
    if (this.#conn !== undefined) this.#conn.send(message);
    else this.#enqueue(undefined, message);
  }

  // Queues a message until the connection is (re)made; false when the queue is full.
  #enqueue(id: number | undefined, message: Out): boolean {
    if (!this.#outbox.hold(id, message)) return false;
    if (this.#redial !== undefined)
      this.#redial.ref(); // a waiting call keeps the process alive
    else if (this.#link === undefined) this.#dial();
    return true;
  }

  #queueFull(): TransportError {
    return new TransportError(
      'closed',
      `${this.protocol}: not connected to ${this.where} and ${this.#reconnect?.maxQueued} messages already wait for the connection; not sent`,
    );
  }

  #dial(): void {
    this.#state.set(this.#everOpened ? 'reconnecting' : 'connecting');
    this.#link = new Link(this, () => this.init.dial(), this.#heartbeat);
  }

  #scheduleRedial(): void {
    if (this.#redial !== undefined || this.#backoff === undefined) return;
    this.#redial = setTimeout(() => {
      this.#redial = undefined;
      if (!this.#closed && this.#link === undefined) this.#dial();
    }, this.#backoff.next());
    // Nobody waiting: retrying must not keep the process alive by itself.
    if (this.#outbox.size === 0 && !this.busy) this.#redial.unref();
  }

  #failEverything(error: Error): void {
    this.#outbox.failAll(error);
    this.pending.failAll(error);
    for (const stream of [...this.#streams]) stream.fail(error);
  }

  // An error that names no call: fail the call(s) it can only belong to, or else close
  // the connection so that no call waits for a reply that will never come.
  #unaddressed(error: Error): void {
    if (this.pending.failUnaddressed(error)) return;
    const link = this.#link;
    if (link === undefined) return;
    link.conn?.destroy();
    this.lost(
      link,
      new ResponseError(
        `${this.protocol}: the server reported an error it could not tie to a call (${error.message}); connection closed`,
      ),
    );
  }

  // A push for a stream nobody reads (a subscription sent as a plain call, or one
  // just closed) is not left to flow into the void: the server is asked, once, to stop.
  #push(push: ServerPush, link: Link<In, Out>): void {
    if (push.kind === 'goaway') {
      this.#goAway(link);
      return;
    }
    if (this.pending.push(push) || push.kind !== 'event') return;
    const id = push.subscription;
    if (this.#orphans.has(id)) return;
    if (this.#orphans.size >= 1024) this.#orphans.clear();
    this.#orphans.add(id);
    this.call({ method: PushMethod.Unsubscribe, params: [id] }, { timeout: 5000 }).catch(() => {});
  }

  #refused(options: CallOptions | undefined): Error | undefined {
    if (this.#closed) return new TransportError('closed', `${this.protocol}: client closed`);
    return this.pending.refused(options);
  }
}

/**
 * createMessageClient returns a ClientTransport that connects lazily on the first
 * call. After an unexpected close it reconnects by itself (`options.reconnect`):
 * calls made meanwhile wait, calls in flight fail as "outcome unknown" (idempotent
 * ones are sent once more), and subscriptions resume after their last event.
 * `close()` is final.
 */
export function createMessageClient<In, Out>(init: MessageClientInit<In, Out>): ClientTransport {
  return new MessageClient(init);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
