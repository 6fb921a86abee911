/**
 * The runtime proxy behind {@link Client}. A property path becomes a dotted method
 * name; calling it returns a {@link PendingCall}. Types are erased, so the proxy cannot
 * tell a call from a subscription by its name: the way the result is used in the turn
 * it is made decides. Iterated (or `.ready` read) in that turn, it is sent as a
 * subscription; otherwise it is sent as a call on the next microtask, awaited or not
 * (`void rpc.chat.send(…)` sends).
 */
import { RpcError } from '../rpc/errors.js';
import { createQueue } from '../rpc/queue.js';
import { ResponseError } from '../transport/errors.js';
import { protocols } from '../transport/index.js';
import { remoteSubscription } from '../transport/remote-subscription.js';
import type {
  CallOptions,
  ClientTransport,
  ConnectionState,
  OutgoingCall,
  RemoteSubscription,
  Settled,
  StateChange,
} from '../transport/types.js';
import type { BatchItem, Client } from './types.js';

/** The symbol under which a PendingCall exposes its outgoing call (for batches). */
const OUTGOING = Symbol('polyrpc.call');

const ignore = (): void => {};
const noop = (): void => {};

/**
 * PendingCall is a call made through the proxy. It goes on the wire in any case: as a
 * subscription when it is iterated (or `ready` is read) in the turn it was made, else
 * as a call on the next microtask. A call nobody awaits still runs; its failure is
 * then reported to nobody (await it, or add `.catch`, to see it).
 * @internal
 */
class PendingCall implements PromiseLike<unknown>, AsyncIterable<unknown> {
  #promise: Promise<unknown> | undefined;
  #subscription: RemoteSubscription<unknown> | undefined;
  readonly [OUTGOING]: OutgoingCall;

  constructor(
    readonly transport: ClientTransport,
    call: OutgoingCall,
    readonly options: CallOptions | undefined,
  ) {
    this[OUTGOING] = call;
    queueMicrotask(() => {
      if (this.#subscription === undefined) this.#call();
    });
  }

  #call(): Promise<unknown> {
    if (this.#subscription !== undefined) {
      return Promise.reject(new Error(`rpc: ${this[OUTGOING].method} was already started as a subscription`));
    }
    if (this.#promise === undefined) {
      this.#promise = this.transport.call(this[OUTGOING], this.options);
      this.#promise.catch(ignore); // a fire-and-forget call must not crash the process
    }
    return this.#promise;
  }

  #subscribe(): RemoteSubscription<unknown> {
    if (this.#subscription !== undefined) return this.#subscription;
    if (this.#promise !== undefined)
      throw new Error(
        `rpc: ${this[OUTGOING].method} was already sent as a call; iterate a subscription in the turn it is made (for await (const e of rpc.${this[OUTGOING].method}(…)))`,
      );
    this.#subscription =
      this.transport.subscribe?.(this[OUTGOING], this.options) ??
      withoutPush(this.transport, this[OUTGOING], this.options);
    return this.#subscription;
  }

  // biome-ignore lint/suspicious/noThenProperty: a PendingCall is deliberately awaitable
  then<A = unknown, B = never>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#call().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<unknown> {
    return this.#call().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<unknown> {
    return this.#call().finally(onFinally);
  }

  get ready(): Promise<void> {
    return this.#subscribe().ready;
  }

  next(): Promise<IteratorResult<unknown>> {
    return this.#subscribe().next();
  }

  return(): Promise<IteratorResult<unknown>> {
    const sub = this.#subscription;
    return sub?.return === undefined ? Promise.resolve({ value: undefined, done: true }) : sub.return();
  }

  close(): Promise<void> {
    return this.#subscription?.close() ?? Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return this.#subscribe();
  }

  get [Symbol.toStringTag](): string {
    return 'PendingCall';
  }
}

/**
 * withoutPush stands in for a subscription on a transport that cannot push (HTTP):
 * the call still goes to the server, so the caller gets the server's own error
 * (which names the procedure to poll instead).
 */
function withoutPush(transport: ClientTransport, call: OutgoingCall, options: CallOptions | undefined) {
  const queue = createQueue<unknown>({ capacity: 1 });
  const ready = transport.call(call, options).then(() => {
    throw new ResponseError(
      `rpc: ${call.method} answered, but the ${transport.protocol} transport has no server push; use a URL with push (${pushUrls()})`,
    );
  });
  return remoteSubscription(queue, ready);
}

/** pushUrls lists the URL schemes whose connections carry server push, from the protocol list. */
function pushUrls(): string {
  return protocols.flatMap((p) => p.pushSchemes.map((scheme) => `${scheme}//`)).join(', ');
}

function isControl(key: string): boolean {
  return key.charCodeAt(0) === 36; // '$'
}

type Invoke = (method: string, args: unknown[]) => unknown;

/** Path proxies are made once per name and client (up to this many names). */
const MAX_CACHED_PATHS = 1024;

function pathProxy(path: string, invoke: Invoke, cache: Map<string, unknown>): unknown {
  const known = cache.get(path);
  if (known !== undefined) return known;
  const target = function remoteProcedure(): void {};
  const proxy = new Proxy(target, {
    get(_target, key) {
      // Not a thenable, not a symbol-keyed protocol object: only names are procedures.
      if (typeof key !== 'string' || key === 'then') return undefined;
      return pathProxy(`${path}.${key}`, invoke, cache);
    },
    apply(_target, _this, args: unknown[]) {
      return invoke(path, args);
    },
  });
  if (cache.size < MAX_CACHED_PATHS) cache.set(path, proxy);
  return proxy;
}

function trimArgs(args: unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return n === args.length ? args : args.slice(0, n);
}

/**
 * createProxy builds the client proxy over a transport. `options` are the defaults
 * for each call made through this proxy. @internal
 */
export function createProxy<S>(transport: ClientTransport, options?: CallOptions): Client<S> {
  const invoke = (method: string, args: unknown[]): PendingCall =>
    new PendingCall(transport, { method, params: trimArgs(args) }, options);
  const record = (method: string, args: unknown[]): BatchItem<unknown> => ({
    method,
    params: trimArgs(args),
  });

  const controls: Record<string, unknown> = {
    $with: (more: CallOptions) => createProxy<S>(transport, { ...options, ...more }),
    $close: () => transport.close(),
    $transport: transport,
    $onState: (listener: (state: ConnectionState, why?: StateChange) => void) =>
      transport.onState?.(listener) ?? noop,
    $batch: async (build: (b: unknown) => readonly BatchItem<unknown>[]) => {
      const items = build(rootProxy(record, {}));
      const calls: OutgoingCall[] = items.map((i) => ({ method: i.method, params: i.params }));
      if (transport.batch !== undefined) return transport.batch(calls, options);
      return Promise.all(
        calls.map((c) =>
          transport.call(c, options).then(
            (value): Settled => ({ ok: true, value }),
            (error: unknown): Settled => {
              if (error instanceof RpcError) return { ok: false, error };
              throw error;
            },
          ),
        ),
      );
    },
  };
  return rootProxy(invoke, controls) as Client<S>;
}

function rootProxy(invoke: Invoke, controls: Record<string, unknown>): unknown {
  const cache = new Map<string, unknown>();
  return new Proxy(Object.create(null) as object, {
    get(_target, key) {
      if (key === Symbol.asyncDispose) return controls.$close;
      if (typeof key !== 'string' || key === 'then') return undefined;
      if (isControl(key)) {
        if (key === '$state' && Object.hasOwn(controls, '$transport'))
          return (controls.$transport as ClientTransport | undefined)?.state ?? 'open';
        return Object.hasOwn(controls, key) ? controls[key] : undefined;
      }
      return pathProxy(key, invoke, cache);
    },
  });
}
