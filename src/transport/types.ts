/**
 * The seams between the protocol-neutral core and the wire protocols. A protocol is
 * one folder under `src/transport` exporting a {@link Protocol}; registering it is one
 * line in `src/transport/index.ts`.
 */
import type { Server as NetServer } from 'node:net';
import type { Peer } from '../rpc/context.js';
import type { RpcError } from '../rpc/errors.js';
import type { Call, Id, Params, Push, Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';

/** Limits bound what one peer can make the server hold. Every field has a default. */
export interface Limits {
  /** Largest message (HTTP body, line, or frame) in bytes, checked before buffering. Defaults to 4 MiB. */
  readonly maxMessageBytes: number;
  /** Deepest nesting of arrays/structs/maps in one message. Defaults to 64. */
  readonly maxDepth: number;
  /** Most calls in one batch (JSON-RPC batch, `system.multicall`). Defaults to 1000. */
  readonly maxBatch: number;
  /** A connection with no traffic for this long is closed, in ms. Defaults to 120000. */
  readonly idleTimeoutMs: number;
  /** Unread output a peer may leave queued before it is cut off, in bytes. Defaults to 16 MiB. */
  readonly maxBufferedBytes: number;
  /** An HTTP request must arrive whole within this many ms (slow clients time out). Defaults to 30000. */
  readonly requestTimeoutMs: number;
  /** Largest HTTP header block in bytes. Defaults to 16 KiB. */
  readonly maxHeaderBytes: number;
  /** Calls in flight on one connection before reading from it pauses. Defaults to 1024. */
  readonly maxInFlight: number;
}

/** defaultLimits are the limits a server uses for whatever its options leave out. */
export const defaultLimits: Limits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxBatch: 1000,
  idleTimeoutMs: 120_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxInFlight: 1024,
};

/** HttpRequestInfo is what an HTTP handler learns about the request besides its body. */
export interface HttpRequestInfo {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly peer?: Peer;
  /** The keep-alive connection's session (made on first use), shared by its requests. */
  readonly session: Map<string, unknown>;
}

/** HttpResult is a handler's answer. A null body is sent as 204 No Content. */
export interface HttpResult {
  readonly status?: number;
  readonly contentType: string;
  readonly body: Uint8Array | string | null;
}

/**
 * HttpHandler answers one POST whose whole body has been read (within the size
 * limit). It must not throw: protocol errors are encoded in the result.
 */
export type HttpHandler = (body: Buffer, info: HttpRequestInfo) => Promise<HttpResult>;

/** HttpBinding mounts a protocol on the shared HTTP server. */
export interface HttpBinding {
  /** Paths answered, e.g. `['/RPC2', '/']`. */
  readonly paths: readonly string[];
  /** createHandler builds the handler once per server. */
  createHandler(registry: Registry, limits: Limits): HttpHandler;
}

/** StreamBinding gives a protocol its own TCP listener. */
export interface StreamBinding {
  /** Port used when none is configured, e.g. 8001. */
  readonly defaultPort: number;
  /** createServer returns an unlistened TCP server speaking the protocol. */
  createServer(registry: Registry, limits: Limits): StreamServer;
}

/** StreamServer is a TCP server plus a way to end its connections gracefully. */
export interface StreamServer {
  readonly server: NetServer;
  /**
   * drain stops reading new calls, waits for calls in flight to be answered (up to
   * `deadlineMs`), then closes every connection.
   */
  drain(deadlineMs: number): Promise<void>;
}

/** CallOptions apply to one call. */
export interface CallOptions {
  /** Milliseconds before the call fails with a timeout TransportError. Defaults to the client's timeout. */
  readonly timeout?: number;
  /** Aborting it fails the call with an aborted TransportError. */
  readonly signal?: AbortSignal;
}

/** ClientOptions configure a transport. */
export interface ClientOptions {
  /** Default per-call timeout in ms; 0 means none. Defaults to 30000. */
  readonly timeout?: number;
  /** Largest reply accepted, in bytes. Defaults to 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Events kept per subscription before the oldest is dropped. Defaults to 1024. */
  readonly subscriptionBuffer?: number;
}

/** OutgoingCall is one call a client sends. */
export interface OutgoingCall {
  readonly method: string;
  readonly params: Params;
}

/** Settled is one batch entry's outcome, in the order the calls were given. */
export type Settled<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: RpcError };

/**
 * RemoteSubscription is a live server-push stream on the client: iterate it for
 * events; `return()` (a `break` out of `for await`) or `close()` unsubscribes.
 * Iteration throws RpcError when the server ends the stream with an error, and
 * TransportError when the connection drops.
 */
export interface RemoteSubscription<T> extends AsyncIterableIterator<T> {
  /** Resolves once the server has accepted the subscription; rejects like a failed call. */
  readonly ready: Promise<void>;
  /** close unsubscribes and ends iteration. */
  close(): Promise<void>;
}

/**
 * ClientTransport is one protocol's client side. Calls may be issued concurrently;
 * replies are matched by id. A call rejects with `RpcError` for a remote error, with
 * `TransportError` when the connection fails, times out, is aborted or closed, and
 * with `ResponseError` when the reply is malformed.
 */
export interface ClientTransport {
  /** The protocol name, e.g. `jsonrpc`. */
  readonly protocol: string;
  call(call: OutgoingCall, options?: CallOptions): Promise<unknown>;
  /** notify sends a call that gets no reply (JSON-RPC and msgpack notifications). */
  notify?(call: OutgoingCall): Promise<void>;
  /** batch sends several calls in one round trip; absent when the protocol has no batch. */
  batch?(calls: readonly OutgoingCall[], options?: CallOptions): Promise<Settled[]>;
  /** subscribe starts a server-push stream; absent when the protocol cannot push. */
  subscribe?(call: OutgoingCall, options?: CallOptions): RemoteSubscription<unknown>;
  /** close rejects calls in flight with a closed TransportError and releases the connection. */
  close(): Promise<void>;
}

/**
 * Protocol is everything polyrpc knows about one wire protocol: the URL schemes its
 * client answers to, and how it is served (on the shared HTTP server, its own TCP
 * listener, or both).
 */
export interface Protocol {
  /** Short name used in logs, listener lines and `Context.protocol`. */
  readonly name: string;
  /** URL schemes (with the colon) that select this protocol's client, e.g. `['msgpack:']`. */
  readonly schemes: readonly string[];
  createTransport(url: URL, options: ClientOptions): ClientTransport;
  readonly http?: HttpBinding;
  readonly stream?: StreamBinding;
}

// ---------------------------------------------------------------------------
// Stream protocols (TCP): the pieces a protocol folder supplies to the shared
// `stream-server.ts` / `stream-client.ts` loops.

/**
 * Framer splits a byte stream into frames. It must tell "need more bytes" (keep the
 * partial frame, call nothing) apart from "bad bytes" (throw {@link FrameError}).
 * Frames handed to `onFrame` may be views into the chunk: use them before returning.
 */
export interface Framer {
  /**
   * push consumes one chunk and calls `onFrame` once per complete frame, in order.
   * @throws FrameError when a frame is too large (checked before buffering it) or malformed.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void;
  /** Bytes held for an incomplete frame. */
  readonly pending: number;
}

/**
 * FrameError is a framing failure: the connection is closed after `reply` (an
 * encoded, framed error message, when the protocol has one) is written.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    message: string,
    readonly reply?: Uint8Array,
  ) {
    super(message);
  }
}

/** Incoming is what the server does with one decoded frame. */
export type Incoming =
  | { readonly kind: 'call'; readonly call: Call }
  /** A batch: dispatched concurrently, the non-null replies sent as one frame (none: nothing). */
  | { readonly kind: 'batch'; readonly calls: readonly Call[] }
  /** An error the codec answers itself (e.g. -32700 with id null); `close` ends the connection after it. */
  | { readonly kind: 'reply'; readonly reply: Reply; readonly close?: boolean }
  /** Nothing to answer and nothing to keep: close the connection. */
  | { readonly kind: 'close'; readonly reason: string }
  /** Nothing to do (e.g. a notification-shaped frame the server has no use for). */
  | { readonly kind: 'ignore' };

/**
 * FrameBytes is one encoded frame: one buffer, or its parts in order (a large binary
 * value written by reference instead of copied into the frame).
 */
export type FrameBytes = Uint8Array | readonly Uint8Array[];

/**
 * StreamServerCodec is a protocol's server-side wire format. Encoders return whole
 * frames ready to write (length prefix or newline included). Never throws from
 * `decode`: bad input is an `Incoming` of kind `reply` or `close`.
 */
export interface StreamServerCodec {
  createFramer(limits: Limits): Framer;
  decode(frame: Buffer, limits: Limits): Incoming;
  encodeReply(reply: Reply): FrameBytes;
  /** encodeBatch is needed only by protocols whose `decode` yields batches. */
  encodeBatch?(replies: readonly Reply[]): FrameBytes;
  encodePush(push: Push): FrameBytes;
}

/** ClientIncoming is what a client does with one decoded frame. */
export type ClientIncoming =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'batch'; readonly replies: readonly Reply[] }
  | { readonly kind: 'push'; readonly push: Push }
  /** A frame the client cannot use; `id` when it names a pending call (which then fails). */
  | { readonly kind: 'invalid'; readonly message: string; readonly id?: Id };

/** StreamClientCodec is a protocol's client-side wire format. Encoders return whole frames. */
export interface StreamClientCodec {
  createFramer(maxMessageBytes: number): Framer;
  encodeCall(id: number, call: OutgoingCall): FrameBytes;
  encodeNotify(call: OutgoingCall): FrameBytes;
  /** encodeBatch sends calls with the given ids in one frame; omit when the protocol has no batch. */
  encodeBatch?(ids: readonly number[], calls: readonly OutgoingCall[]): FrameBytes;
  decode(frame: Buffer): ClientIncoming;
}
