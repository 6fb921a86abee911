/**
 * The shared socket client for stream protocols: one connection, many calls in
 * flight matched by id through a pending map, per-call timeouts and aborts, server
 * push routed to subscriptions, and every pending call rejected when the socket
 * dies (Go net/rpc "terminate pending calls"). A protocol supplies its codec.
 */
import { connect, type Socket } from 'node:net';
import { type Push, PushMethod, type Reply } from '../rpc/message.js';
import { createQueue, type Queue } from '../rpc/queue.js';
import { DeadlineTimer } from './deadline-timer.js';
import { ResponseError, TransportError } from './errors.js';
import { remoteSubscription } from './remote-subscription.js';
import type {
  CallOptions,
  ClientIncoming,
  ClientOptions,
  ClientTransport,
  FrameBytes,
  Framer,
  OutgoingCall,
  RemoteSubscription,
  Settled,
  StreamClientCodec,
} from './types.js';
import { createWriteQueue, type WriteQueue } from './write-queue.js';

/** StreamClientInit says where to connect and how to speak. */
export interface StreamClientInit {
  readonly host: string;
  readonly port: number;
  readonly codec: StreamClientCodec;
  /** Protocol name, for error messages (`msgpack`, `jsonrpc`). */
  readonly protocol: string;
  readonly options?: ClientOptions;
}

interface Pending {
  /** Gets the result (`unwrap`) or the whole reply. */
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Settle with the result, or reject with the remote error, instead of resolving with the reply. */
  readonly unwrap: boolean;
  /** performance.now() past which the call times out; Infinity for none. */
  readonly deadline: number;
  readonly timeout: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Runs synchronously when the reply arrives, before any later frame is handled. */
  onReply: ((reply: Reply) => void) | undefined;
}

interface Link {
  readonly socket: Socket;
  readonly out: WriteQueue;
  readonly framer: Framer;
  /** Resolves when connected; rejects with a connect TransportError. */
  readonly ready: Promise<void>;
}

const MAX_ID = 0xffff_ffff;

/**
 * createStreamClient returns a ClientTransport that connects lazily on the first
 * call and again after a dropped connection. `close()` is final.
 */
export function createStreamClient(init: StreamClientInit): ClientTransport {
  const { codec, protocol } = init;
  const defaultTimeout = init.options?.timeout ?? 30_000;
  const maxBytes = init.options?.maxMessageBytes ?? 64 * 1024 * 1024;
  const bufferSize = init.options?.subscriptionBuffer ?? 1024;
  const pending = new Map<number, Pending>();
  /** Ids of each batch in flight, oldest first. */
  const batches = new Set<number[]>();
  const subscriptions = new Map<number, Queue<unknown>>();
  let link: Link | undefined;
  let nextId = 0;
  let closed = false;

  // One timer for every call's deadline (deadline-timer.ts); unref'd while nothing is
  // pending, so an idle client does not hold the process open.
  const deadlines = new DeadlineTimer((now) => {
    let next = Number.POSITIVE_INFINITY;
    for (const [id, p] of pending) {
      if (p.deadline <= now) {
        take(id);
        p.reject(new TransportError('timeout', `${protocol}: call timed out after ${p.timeout} ms`));
      } else if (p.deadline < next) next = p.deadline;
    }
    return next;
  });

  const failAll = (error: Error): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      cleanup(p);
      p.reject(error);
    }
    deadlines.stop();
    for (const [id, q] of subscriptions) {
      subscriptions.delete(id);
      q.end(error);
    }
  };

  const onIncoming = (incoming: ClientIncoming): void => {
    switch (incoming.kind) {
      case 'reply':
        settle(incoming.reply);
        break;
      case 'batch':
        for (const reply of incoming.replies) settle(reply);
        break;
      case 'push':
        onPush(incoming.push);
        break;
      case 'invalid': {
        const error = new ResponseError(`${protocol}: ${incoming.message}`);
        const p = typeof incoming.id === 'number' ? take(incoming.id) : undefined;
        if (p !== undefined) p.reject(error);
        break;
      }
    }
  };

  const onPush = (push: Push): void => {
    const queue = subscriptions.get(push.subscription);
    if (queue === undefined) return;
    if (push.kind === 'event') queue.push(push.event);
    else {
      subscriptions.delete(push.subscription);
      queue.end(push.error);
    }
  };

  // An error the server could not address (id null: it could not read the request,
  // or refused a whole batch). The server answers frames in order, so it belongs to
  // the oldest batch in flight, or else the oldest call.
  const failUnaddressed = (reply: Reply & { ok: false }): void => {
    for (const group of batches) {
      batches.delete(group);
      const live = group.filter((id) => pending.has(id));
      if (live.length === 0) continue;
      for (const id of live) take(id)?.reject(reply.error);
      return;
    }
    const oldest = pending.keys().next();
    if (!oldest.done) take(oldest.value)?.reject(reply.error);
  };

  const take = (id: number): Pending | undefined => {
    const p = pending.get(id);
    if (p === undefined) return undefined;
    pending.delete(id);
    cleanup(p);
    if (pending.size === 0) deadlines.idle();
    return p;
  };

  const settle = (reply: Reply): void => {
    if (typeof reply.id !== 'number') {
      if (reply.id === null && !reply.ok) failUnaddressed(reply);
      return;
    }
    const p = take(reply.id);
    if (p === undefined) return;
    p.onReply?.(reply);
    if (!p.unwrap) p.resolve(reply);
    else if (reply.ok) p.resolve(reply.result);
    else p.reject(reply.error);
  };

  const open = (): Link => {
    if (link !== undefined && !link.socket.destroyed) return link;
    const socket = connect({ host: init.host, port: init.port, noDelay: true });
    const framer = codec.createFramer(maxBytes);
    let connectError: TransportError | undefined;
    let connected = false;
    const ready = new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        connected = true;
        resolve();
      });
      socket.once('error', (err) => {
        if (!connected) {
          const where = `${init.host}:${init.port}`;
          connectError = new TransportError(
            'connect',
            `${protocol}: cannot connect to ${where}: ${err.message}`,
            {
              cause: err,
            },
          );
          reject(connectError);
        }
      });
    });
    ready.catch(() => {});
    const current: Link = { socket, out: createWriteQueue(socket), framer, ready };
    const onFrame = (frame: Buffer): void => onIncoming(codec.decode(frame));
    socket.on('data', (chunk: Buffer) => {
      try {
        framer.push(chunk, onFrame);
      } catch (err) {
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      if (link === current) link = undefined;
      failAll(
        connectError ??
          new TransportError(
            'closed',
            closed
              ? `${protocol}: client closed`
              : `${protocol}: connection to ${init.host}:${init.port} closed`,
          ),
      );
    });
    link = current;
    return current;
  };

  // register allocates an id and a pending entry; the caller writes the frame. The
  // promise gets the whole reply, or with `unwrap` the result (a remote error rejects).
  function register(options: CallOptions | undefined, onReply?: (reply: Reply) => void): Registered<Reply>;
  function register(options: CallOptions | undefined, onReply: undefined, unwrap: true): Registered<unknown>;
  function register(
    options: CallOptions | undefined,
    onReply?: (reply: Reply) => void,
    unwrap = false,
  ): Registered<unknown> {
    nextId = nextId >= MAX_ID ? 1 : nextId + 1;
    const id = nextId;
    const signal = options?.signal;
    const timeout = options?.timeout ?? defaultTimeout;
    const deadline = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
    const reply = new Promise<unknown>((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        unwrap,
        deadline,
        timeout,
        signal: undefined,
        onAbort: undefined,
        onReply,
      };
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () => {
          if (take(id) !== undefined) reject(aborted(signal));
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      pending.set(id, entry);
    });
    if (deadline !== Number.POSITIVE_INFINITY) deadlines.arm(deadline);
    return { id, reply };
  }

  // An argument the codec cannot encode (a Symbol, an out-of-range bigint) fails the
  // call at once; its pending entry must not linger to time out later.
  const encodeOrForget = (id: number, encode: () => FrameBytes): FrameBytes | Error => {
    try {
      return encode();
    } catch (err) {
      take(id); // its promise is dropped unsettled; the caller rejects with the error
      return err instanceof Error ? err : new Error(String(err));
    }
  };

  const usable = (options: CallOptions | undefined): Error | undefined => {
    if (closed) return new TransportError('closed', `${protocol}: client closed`);
    const signal = options?.signal;
    if (signal?.aborted) return aborted(signal);
    return undefined;
  };

  const unwrap = (reply: Reply): unknown => {
    if (reply.ok) return reply.result;
    throw reply.error;
  };

  const transport: ClientTransport = {
    protocol,
    call(call, options) {
      const refused = usable(options);
      if (refused !== undefined) return Promise.reject(refused);
      const conn = open();
      const { id, reply } = register(options, undefined, true);
      let frame: FrameBytes;
      try {
        frame = codec.encodeCall(id, call);
      } catch (err) {
        // An argument the codec cannot encode fails the call at once, and its pending
        // entry must not linger to time out later.
        take(id);
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      conn.out.write(frame);
      return reply;
    },
    async notify(call) {
      if (closed) throw new TransportError('closed', `${protocol}: client closed`);
      const conn = open();
      await conn.ready;
      conn.out.write(codec.encodeNotify(call));
    },
    subscribe(call, options) {
      return subscribe(call, options);
    },
    async close() {
      if (closed) return;
      closed = true;
      const conn = link;
      failAll(new TransportError('closed', `${protocol}: client closed`));
      if (conn !== undefined) {
        await new Promise<void>((resolve) => {
          conn.socket.once('close', () => resolve());
          conn.out.flush();
          conn.socket.end();
          setTimeout(() => conn.socket.destroy(), 1000).unref();
        });
      }
    },
  };

  const encodeBatch = codec.encodeBatch?.bind(codec);
  if (encodeBatch !== undefined) {
    transport.batch = async (calls, options): Promise<Settled[]> => {
      if (calls.length === 0) return [];
      const refused = usable(options);
      if (refused !== undefined) throw refused;
      const conn = open();
      const entries = calls.map(() => register(options));
      const ids = entries.map((e) => e.id);
      let frame: FrameBytes;
      try {
        frame = encodeBatch(ids, calls);
      } catch (err) {
        for (const id of ids) take(id);
        throw err;
      }
      batches.add(ids);
      conn.out.write(frame);
      const replies = await Promise.all(entries.map((e) => e.reply)).finally(() => batches.delete(ids));
      return replies.map(
        (reply): Settled =>
          reply.ok ? { ok: true, value: reply.result } : { ok: false, error: reply.error },
      );
    };
  }

  const subscribe = (call: OutgoingCall, options: CallOptions | undefined): RemoteSubscription<unknown> => {
    let subId: number | undefined;
    let done = false;
    const unsubscribe = (): void => {
      if (subId === undefined || !subscriptions.has(subId)) return;
      subscriptions.delete(subId);
      if (!closed && link !== undefined) {
        transport
          .call({ method: PushMethod.Unsubscribe, params: [subId] }, { timeout: 5000 })
          .catch(() => {});
      }
    };
    const queue = createQueue<unknown>({
      capacity: bufferSize,
      onClose: () => {
        done = true;
        unsubscribe();
      },
    });
    // The subscription is registered the moment its reply is read, so events that
    // follow the reply in the same chunk find it.
    const onReply = (reply: Reply): void => {
      if (!reply.ok || typeof reply.result !== 'number') return;
      subId = reply.result;
      subscriptions.set(subId, queue);
      if (done) unsubscribe();
    };
    const refused = usable(options);
    let ready: Promise<void>;
    if (refused !== undefined) ready = Promise.reject(refused);
    else {
      const conn = open();
      const { id, reply } = register(options, onReply);
      const frame = encodeOrForget(id, () => codec.encodeCall(id, call));
      if (!(frame instanceof Error)) conn.out.write(frame);
      ready = (frame instanceof Error ? Promise.reject(frame) : reply).then((r) => {
        const result = unwrap(r);
        if (typeof result !== 'number') {
          throw new ResponseError(`${protocol}: ${call.method} did not return a subscription id`);
        }
      });
    }
    return remoteSubscription(queue, ready);
  };

  return transport;
}

interface Registered<T> {
  readonly id: number;
  readonly reply: Promise<T>;
}

function cleanup(p: Pending): void {
  if (p.signal !== undefined && p.onAbort !== undefined) p.signal.removeEventListener('abort', p.onAbort);
}

function aborted(signal: AbortSignal): TransportError {
  return new TransportError('aborted', 'rpc: call aborted', { cause: signal.reason });
}
