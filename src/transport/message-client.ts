/**
 * The client of every connection-oriented protocol, over the message seam: one
 * connection, many calls in flight matched by id ({@link PendingCalls}), server push
 * routed to subscriptions, and every pending call failed when the connection dies
 * (Go net/rpc "terminate pending calls"). A protocol supplies its codec and a way to
 * dial; TCP, in-process pairs and WebSocket all fit.
 *
 * Exports: createMessageClient, MessageClientInit.
 */
import { type Push, PushMethod, type Reply } from '../rpc/message.js';
import { createQueue } from '../rpc/queue.js';
import type { MessageConnection } from './connection.js';
import { ResponseError, TransportError } from './errors.js';
import { Link, type LinkOwner } from './link.js';
import { PendingCalls } from './pending-calls.js';
import { remoteSubscription } from './remote-subscription.js';
import type {
  CallOptions,
  ClientCodec,
  ClientIncoming,
  ClientOptions,
  ClientTransport,
  OutgoingCall,
  RemoteSubscription,
  Settled,
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
}

class MessageClient<In, Out> implements ClientTransport, LinkOwner<In, Out> {
  readonly protocol: string;
  readonly where: string;
  readonly pending: PendingCalls;
  /** batch is present only where the codec has batches. */
  readonly batch?: (calls: readonly OutgoingCall[], options?: CallOptions) => Promise<Settled[]>;
  readonly #bufferSize: number;
  #link: Link<In, Out> | undefined;
  #closed = false;
  /** Subscription ids whose pushes nobody reads and that were asked to stop. */
  readonly #orphans = new Set<number>();

  constructor(readonly init: MessageClientInit<In, Out>) {
    this.protocol = init.protocol;
    this.where = init.where;
    this.pending = new PendingCalls(init.protocol, init.options?.timeout ?? 30_000);
    this.#bufferSize = init.options?.subscriptionBuffer ?? 1024;
    if (init.codec.encodeBatch !== undefined) this.batch = (calls, options) => this.#batch(calls, options);
  }

  call(call: OutgoingCall, options?: CallOptions): Promise<unknown> {
    const refused = this.#refused(options);
    if (refused !== undefined) return Promise.reject(refused);
    const link = this.#open();
    const { id, promise } = this.pending.add(options);
    let message: Out;
    try {
      message = this.init.codec.encodeCall(id, call);
    } catch (err) {
      // An argument the codec cannot encode fails the call at once; its entry must not linger.
      this.pending.fail(id, asError(err));
      return promise;
    }
    link.send(message);
    return promise;
  }

  async notify(call: OutgoingCall): Promise<void> {
    const refused = this.#refused(undefined);
    if (refused !== undefined) throw refused;
    const encode = this.init.codec.encodeNotify;
    if (encode === undefined) throw new TypeError(`${this.protocol}: this protocol has no notifications`);
    const link = this.#open();
    const message = encode.call(this.init.codec, call);
    await link.ready;
    link.send(message);
  }

  async #batch(calls: readonly OutgoingCall[], options?: CallOptions): Promise<Settled[]> {
    const encode = this.init.codec.encodeBatch;
    if (encode === undefined) throw new TypeError(`${this.protocol}: this protocol has no batches`);
    if (calls.length === 0) return [];
    const refused = this.#refused(options);
    if (refused !== undefined) throw refused;
    const link = this.#open();
    const entries = this.pending.addBatch(calls.length, options);
    const ids = entries.map((e) => e.id);
    let message: Out;
    try {
      message = encode.call(this.init.codec, ids, calls);
    } catch (err) {
      for (const id of ids) this.pending.fail(id, asError(err));
      throw asError(err);
    }
    link.send(message);
    const replies = await Promise.all(entries.map((e) => e.promise));
    return replies.map(
      (r: Reply): Settled => (r.ok ? { ok: true, value: r.result } : { ok: false, error: r.error }),
    );
  }

  subscribe(call: OutgoingCall, options?: CallOptions): RemoteSubscription<unknown> {
    let subId: number | undefined;
    let done = false;
    const unsubscribe = (): void => {
      if (subId === undefined || !this.pending.closeStream(subId)) return;
      this.#orphans.add(subId); // its events still on the way are dropped quietly
      if (!this.#closed && this.#link !== undefined)
        this.call({ method: PushMethod.Unsubscribe, params: [subId] }, { timeout: 5000 }).catch(() => {});
    };
    const queue = createQueue<unknown>({
      capacity: this.#bufferSize,
      onClose: () => {
        done = true;
        unsubscribe();
      },
    });
    // The stream is routed the moment its reply is read, so events that follow the
    // reply in the same chunk find it.
    const onReply = (reply: Reply): void => {
      if (!reply.ok || typeof reply.result !== 'number') return;
      subId = reply.result;
      this.pending.openStream(subId, queue);
      if (done) unsubscribe();
    };
    const ready = this.#subscribeCall(call, options, onReply).then((reply) => {
      if (!reply.ok) throw reply.error;
      if (typeof reply.result !== 'number')
        throw new ResponseError(`${this.protocol}: ${call.method} did not return a subscription id`);
    });
    return remoteSubscription(queue, ready);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const link = this.#link;
    this.pending.failAll(new TransportError('closed', `${this.protocol}: client closed`));
    if (link === undefined) return;
    await link.ready.catch(() => {});
    const conn = link.conn;
    if (conn === undefined) return;
    await new Promise<void>((resolve) => {
      link.whenClosed = resolve;
      conn.end();
      setTimeout(() => {
        conn.destroy();
        resolve();
      }, 1000).unref();
    });
  }

  // --- from the link ----------------------------------------------------------

  decode(message: In): ClientIncoming {
    return this.init.codec.decode(message);
  }

  incoming(incoming: ClientIncoming): void {
    switch (incoming.kind) {
      case 'reply': {
        const reply = incoming.reply;
        if (reply.id === null && !reply.ok) this.#unaddressed(reply.error);
        else this.pending.settle(reply);
        break;
      }
      case 'batch':
        for (const reply of incoming.replies) this.pending.settle(reply);
        break;
      case 'push':
        this.#push(incoming.push);
        break;
      case 'invalid': {
        const error = new ResponseError(`${this.protocol}: ${incoming.message}`);
        // A message that names no call (a stray notification) is dropped.
        if (typeof incoming.id === 'number') this.pending.fail(incoming.id, error);
        break;
      }
    }
  }

  lost(link: Link<In, Out>, error: Error): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#orphans.clear();
    this.pending.failAll(
      this.#closed ? new TransportError('closed', `${this.protocol}: client closed`) : error,
    );
  }

  closedError(link: Link<In, Out>): TransportError {
    const where = this.init.where;
    if (this.#closed) return new TransportError('closed', `${this.protocol}: client closed`);
    if (!link.heard && this.pending.size > 0)
      return new TransportError(
        'closed',
        `${this.protocol}: ${where} closed the connection before any reply`,
      );
    return new TransportError(
      'closed',
      `${this.protocol}: connection to ${where} closed; the outcome of calls in flight is unknown`,
    );
  }

  // --- internals --------------------------------------------------------------

  // An error that names no call: fail the call(s) it can only belong to, or else close
  // the connection so that no call waits for a reply that will never come.
  #unaddressed(error: Error): void {
    if (this.pending.failUnaddressed(error)) return;
    const link = this.#link;
    if (link === undefined) return;
    this.lost(
      link,
      new ResponseError(
        `${this.protocol}: the server reported an error it could not tie to a call (${error.message}); connection closed`,
      ),
    );
    link.conn?.destroy();
  }

  // A push for a stream nobody reads (a subscription sent as a plain call, or one
  // just closed) is not left to flow into the void: the server is asked, once, to stop.
  #push(push: Push): void {
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

  #open(): Link<In, Out> {
    this.#link ??= new Link(this, () => this.init.dial());
    return this.#link;
  }

  #subscribeCall(
    call: OutgoingCall,
    options: CallOptions | undefined,
    onReply: (reply: Reply) => void,
  ): Promise<Reply> {
    const refused = this.#refused(options);
    if (refused !== undefined) return Promise.reject(refused);
    const link = this.#open();
    const { id, promise } = this.pending.add<Reply>(options, { unwrap: false, onReply });
    try {
      link.send(this.init.codec.encodeCall(id, call));
    } catch (err) {
      this.pending.fail(id, asError(err));
    }
    return promise;
  }
}

/**
 * createMessageClient returns a ClientTransport that connects lazily on the first
 * call and again after a dropped connection. `close()` is final.
 */
export function createMessageClient<In, Out>(init: MessageClientInit<In, Out>): ClientTransport {
  return new MessageClient(init);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
