/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Client<S>: the typed face of a remote service, one mapped type over its definition.
 * Only types live here. The lib reference above travels into the published .d.ts,
 * so `AsyncDisposable` resolves in a consumer project without @types/node (without
 * it, and with `skipLibCheck`, the whole client type would silently become `any`).
 */
import type { Infer } from '../rpc/schema.js';
import type {
  CallDef,
  Params,
  PositionalArgs,
  Service,
  ServiceTree,
  SubscriptionDef,
} from '../rpc/service.js';
import type {
  CallOptions,
  ClientTransport,
  ConnectionState,
  RemoteSubscription,
  Settled,
  StateChange,
} from '../transport/types.js';

/**
 * A Contract describes a foreign server by hand: functions (their results are
 * awaited) and namespaces of functions. `{ add(a: number, b: number): number }`.
 */
export interface Contract {
  readonly [name: string]: ((...args: never[]) => unknown) | Contract;
}

/** Remote is what one definition becomes on the client. */
type Remote<D, Item extends boolean> =
  D extends CallDef<infer P extends Params, infer R>
    ? (...args: PositionalArgs<P>) => Item extends true ? BatchItem<Infer<R>> : Promise<Infer<R>>
    : D extends SubscriptionDef<infer P extends Params, infer E>
      ? Item extends true
        ? never
        : (...args: PositionalArgs<P>) => RemoteSubscription<Infer<E>>
      : D extends (...args: infer A) => infer R
        ? (...args: A) => Item extends true ? BatchItem<Awaited<R>> : Promise<Awaited<R>>
        : D extends ServiceTree | Contract
          ? Tree<D, Item>
          : never;

type Tree<T, Item extends boolean> = { readonly [K in keyof T]: Remote<T[K], Item> };

/** TreeOf extracts the procedure tree from a Service, or takes a Contract as is. */
export type TreeOf<S> = S extends Service<infer T> ? T : S;

/** BatchItem is one call recorded by a batch builder; `R` is its result type. */
export interface BatchItem<R> {
  readonly method: string;
  readonly params: readonly unknown[];
  /** @internal phantom field carrying the result type. */
  readonly __result?: R;
}

/** BatchBuilder mirrors the client, but each call records a {@link BatchItem}. */
export type BatchBuilder<S> = Tree<TreeOf<S>, true>;

/** BatchResults maps recorded items to their outcomes, in order. */
export type BatchResults<B extends readonly BatchItem<unknown>[]> = {
  -readonly [I in keyof B]: B[I] extends BatchItem<infer R> ? Settled<R> : never;
};

/** ClientControls are the `$`-prefixed members every client has (no procedure name can start with `$`). */
export interface ClientControls<S> {
  /**
   * $with returns a client sharing this one's connection whose calls use `options`
   * (timeout, AbortSignal) unless a call gives its own.
   */
  $with(options: CallOptions): Client<S>;
  /**
   * $batch sends the calls the builder records in one round trip (JSON-RPC batch,
   * XML-RPC `system.multicall`, pipelined msgpack) and settles each in order.
   */
  $batch<const B extends readonly BatchItem<unknown>[]>(
    build: (b: BatchBuilder<S>) => B,
  ): Promise<BatchResults<B>>;
  /** $close rejects calls in flight with a closed TransportError and releases the connection. */
  $close(): Promise<void>;
  /** $transport is the underlying protocol transport. */
  readonly $transport: ClientTransport;
  /**
   * $state is the connection's state: `connecting`, `open`, `reconnecting` or
   * `closed`. A client without a connection of its own (HTTP) is always `open`.
   */
  readonly $state: ConnectionState;
  /**
   * $onState calls `listener` with each new connection state (e.g. to show
   * "reconnecting…") and returns the function that stops it; `why` is `goaway` when the
   * server said it is going away. On HTTP it never calls.
   */
  $onState(listener: (state: ConnectionState, why?: StateChange) => void): () => void;
}

/**
 * Client is the typed proxy for service (or contract) `S`: each call procedure is an
 * async function with the same positional parameters, each subscription returns a
 * {@link RemoteSubscription}.
 */
export type Client<S> = Tree<TreeOf<S>, false> & ClientControls<S> & AsyncDisposable;
