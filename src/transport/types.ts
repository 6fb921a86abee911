/**
 * The seams between the protocol-neutral core and the wire protocols. A protocol is
 * one folder under `src/transport` exporting a {@link Protocol}; registering it is one
 * line in `src/transport/index.ts`.
 */
import type { RpcError } from '../rpc/errors.js';
import type { Call, Id, Params, Reply, ServerPush } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import type { Instrument } from './observer.js';

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
  /**
   * How long server push may stay blocked on a peer that does not read, in ms. Past it
   * the peer's subscriptions end with a -32000 error (the overflow signal); if the
   * output still has not drained after as long again, the connection is closed.
   * Defaults to 30000.
   */
  readonly pushStallMs: number;
  /**
   * A WebSocket peer quiet for this long is pinged, and closed if it has not answered
   * by the next round, in ms. Defaults to 30000.
   */
  readonly pingIntervalMs: number;
  /**
   * Connections open at once across every listener of a server (TCP, TLS, HTTP
   * keep-alive, WebSocket); the excess is refused at accept (a stream protocol's
   * error reply, HTTP 503) and closed. Defaults to 20000.
   */
  readonly maxConnections: number;
  /**
   * Connections open at once from one client address, refused the same way: by default
   * half the total, so that no one address (a NAT, a proxy, this machine) can take every
   * slot. Defaults to 10000.
   */
  readonly maxConnectionsPerIp: number;
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
  pushStallMs: 30_000,
  pingIntervalMs: 30_000,
  maxConnections: 20_000,
  maxConnectionsPerIp: 10_000,
};

/**
 * HttpBinding mounts a protocol on the shared HTTP server: a POST body is one message
 * of a one-message session without push, dispatched on the same path as every
 * connection's messages (`session.ts`).
 */
export interface HttpBinding {
  /** Paths answered, e.g. `['/RPC2', '/']`. The first is the one listener lines show. */
  readonly paths: readonly string[];
  /** Content-Type of every answer, e.g. `text/xml`. */
  readonly contentType: string;
  /** The URL scheme a client uses for this binding, e.g. `jsonrpc+http:`. */
  readonly clientScheme: string;
  /** The body codec. An answer of null (notifications only) is sent as 204 No Content. */
  readonly codec: ServerCodec<Uint8Array, FrameBytes | string>;
}

/**
 * UpgradeBinding serves a protocol on the shared HTTP server through an HTTP upgrade
 * (WebSocket): connections that then carry whole messages.
 */
export interface UpgradeBinding {
  /** Paths answered, e.g. `['/ws']`. */
  readonly paths: readonly string[];
  /** URL schemes listener lines show for it, e.g. `['ws:', 'msgpack+ws:']`. */
  readonly clientSchemes: readonly string[];
  /** createServer builds the upgrade handler once per HTTP server. */
  createServer(init: UpgradeInit): UpgradeServer;
}

/** UpgradeInit is what an upgrade handler serves with. */
export interface UpgradeInit {
  readonly registry: Registry;
  readonly limits: Limits;
  /** The protocol's name, for `Context.protocol`. */
  readonly protocol: string;
  /** Whether the server listens on a loopback address only (origin checks relax there). */
  readonly loopback: boolean;
  /** `Origin` values accepted; undefined means any on loopback and none (only no Origin) elsewhere. */
  readonly allowedOrigins?: readonly string[];
  /**
   * Whether a page of the server's own origin (an `Origin` whose host is the request's
   * `Host`) is accepted too, as the explorer page served on the same port is. Defaults to false.
   */
  readonly sameOrigin?: boolean;
  /** Metrics and tracing the connections report to (observer.ts). Defaults to none. */
  readonly instrument?: Instrument;
}

/**
 * UpgradeServer takes over upgraded connections, and ends them gracefully. Its
 * arguments are node:http's (`IncomingMessage`, the `Duplex` socket, the head
 * buffer); they are typed opaquely here so that the public types need no Node typings.
 */
export interface UpgradeServer {
  /** upgrade answers one `upgrade` request of the HTTP server (the socket is its own from then on). */
  upgrade(request: unknown, socket: unknown, head: Uint8Array): void;
  /** drain ends every connection, letting calls in flight finish for up to `deadlineMs`. */
  drain(deadlineMs: number): Promise<void>;
}

/** StreamBinding gives a protocol its own TCP listener. */
export interface StreamBinding {
  /** Port used when none is configured, e.g. 8001. */
  readonly defaultPort: number;
  /** The URL scheme of the listener when it speaks TLS, e.g. `msgpack+tls:`. */
  readonly tlsScheme: string;
  readonly codec: StreamServerCodec;
  /**
   * URL schemes listener lines show for the port, one line each, when its framer
   * serves more than one framing (msgpack: `['msgpack:', 'msgpack+bare:']`).
   * Defaults to the protocol's first scheme.
   */
  readonly clientSchemes?: readonly string[];
}

/** CallOptions apply to one call. */
export interface CallOptions {
  /** Milliseconds before the call fails with a timeout TransportError. Defaults to the client's timeout. */
  readonly timeout?: number;
  /** Aborting it fails the call with an aborted TransportError. One signal may serve any number of calls. */
  readonly signal?: AbortSignal;
  /**
   * Says the call is safe to run twice. A call that may have reached the server when
   * its connection failed is never sent again unless this is true; then it is sent
   * once more. Defaults to false.
   */
  readonly idempotent?: boolean;
}

/** ClientOptions configure a transport. */
export interface ClientOptions {
  /** Default per-call timeout in ms; 0 means none. Defaults to 30000. */
  readonly timeout?: number;
  /** Largest reply accepted, in bytes. Defaults to 64 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Events a subscription holds for an application that does not read them. Nothing is
   * dropped past it: a stream whose events have ids is stopped on the server and, once
   * the application has read half of what waits, resumes after the last event it holds;
   * one without ids ends, after what it holds, with -32002 (`data.reason: 'overflow'`).
   * Defaults to 1024.
   */
  readonly subscriptionBuffer?: number;
  /** TLS settings for `https:`, `wss:`, `jsonrpc+tls:`, `msgpack+tls:` and the other secure URLs. */
  readonly tls?: ClientTlsOptions;
  /**
   * The credential to present: over HTTP as an `Authorization` header with every
   * request (a token as `Bearer`, a user name and password as `Basic`), on a connection
   * as `rpc.authenticate` before anything else, again after every reconnect. Defaults
   * to the URL's user info (`https://user:secret@host/RPC2`; `msgpack://:TOKEN@host`
   * for a token), else none.
   */
  readonly auth?: ClientAuth;
  /**
   * How a connection-oriented client (TCP, msgpack, WebSocket) reconnects after an
   * unexpected close; `false` turns it off (the next call then dials again, and live
   * subscriptions end with the TransportError). Defaults to `{}`: on, with the defaults
   * of {@link ReconnectOptions}. HTTP clients ignore it.
   */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * How a connection-oriented client notices a dead peer (half-open TCP, a frozen
   * server); `false` turns it off. Defaults to `{}`: the defaults of {@link HeartbeatOptions}.
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * How many times a call answered -32003 (`Code.NotExecuted`: the server was shutting
   * down and did not run it) is sent again by itself, on the next connection (HTTP:
   * after a short delay), within the call's own deadline. Safe for any procedure: the
   * call never ran. 0 turns it off. Defaults to 2 (HTTP: 1).
   */
  readonly retryNotExecuted?: number;
}

/**
 * ClientAuth is a client's credential: a token (a string, or `{ token }`), or a user
 * name and password.
 */
export type ClientAuth =
  | string
  | { readonly token: string }
  | { readonly username?: string; readonly password: string };

/**
 * ReconnectOptions tune automatic reconnection. Attempt n waits a random time between
 * half and all of `min(initialDelayMs × 2ⁿ, maxDelayMs)` (jitter, so that many clients
 * of one restarted server do not dial in step), until `close()`.
 */
export interface ReconnectOptions {
  /** Delay before the first attempt after a drop, in ms (before jitter). Defaults to 100. */
  readonly initialDelayMs?: number;
  /** Longest delay between attempts, in ms (before jitter). Defaults to 10000. */
  readonly maxDelayMs?: number;
  /**
   * Calls (and notifications) that may wait for the connection while it is being made
   * again; each waits up to its own timeout. Past this a call fails at once with a
   * `closed` TransportError, unsent. Defaults to 1000.
   */
  readonly maxQueued?: number;
}

/**
 * HeartbeatOptions tune dead-peer detection. While a client has calls in flight or
 * live subscriptions, it sends `rpc.ping` when the connection has been quiet for
 * `intervalMs`, and closes it (then reconnects) when `misses` pings in a row go
 * unanswered: a dead peer is noticed within `(misses + 2) × intervalMs`.
 */
export interface HeartbeatOptions {
  /** Quiet time before a ping, in ms. Defaults to 15000. */
  readonly intervalMs?: number;
  /** Unanswered pings in a row that fail the connection. Defaults to 2. */
  readonly misses?: number;
}

/**
 * ConnectionState is where a connection-oriented client stands: `connecting` (not
 * connected yet: it dials on first use), `open`, `reconnecting` (the connection was
 * lost; calls wait, subscriptions resume once it is back) or `closed` (after
 * `close()`, final).
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** StateChange says why a connection state changed, when it was not a failure: `goaway` (the server is shutting down). */
export type StateChange = 'goaway';

/**
 * ClientTlsOptions configure a client's TLS. The server's certificate is verified
 * against the system's CAs (or `ca`) and the URL's host name unless
 * `insecureSkipVerify` says otherwise.
 */
export interface ClientTlsOptions {
  /** PEM CA certificate(s) to trust instead of the system's. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** PEM client certificate, for servers that ask for one (mutual TLS). */
  readonly cert?: string | Uint8Array;
  /** PEM private key of `cert`. */
  readonly key?: string | Uint8Array;
  /** The name to verify the certificate against (and send as SNI). Defaults to the URL's host. */
  readonly servername?: string;
  /**
   * Turns certificate verification off: anyone on the path can then read and change
   * the traffic. For tests against self-signed servers only. Defaults to false.
   */
  readonly insecureSkipVerify?: boolean;
}

/**
 * ServerTlsOptions turn TLS on for every listener of a server: the HTTP port speaks
 * HTTPS (and WebSocket as `wss`), every TCP port speaks TLS.
 */
export interface ServerTlsOptions {
  /** PEM certificate chain. */
  readonly cert: string | Uint8Array;
  /** PEM private key. */
  readonly key: string | Uint8Array;
  /** PEM CA certificate(s) client certificates are verified against (mutual TLS). */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /**
   * Asks clients for a certificate and refuses connections without one that `ca`
   * verifies; handlers see it as `ctx.peer.certificate`. Defaults to false.
   */
  readonly requestClientCert?: boolean;
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
  /** The connection's state; present on connection-oriented clients (TCP, msgpack, WebSocket, in-process). */
  readonly state?: ConnectionState;
  /**
   * onState calls `listener` with each new state, on the turn it changes, until the
   * returned function is called; present where `state` is. A listener must not throw.
   * `why` says what caused a change when it was not a failure: `goaway` when the
   * server said it is going away (`rpc.goaway`) and the client moves to a new connection.
   */
  onState?(listener: (state: ConnectionState, why?: StateChange) => void): () => void;
}

/**
 * Protocol is everything polyrpc knows about one wire protocol: the URL schemes its
 * client answers to, and how it is served (on the shared HTTP server, its own TCP
 * listener, or both).
 */
export interface Protocol {
  /**
   * Short lower-case name used in logs, listener lines, `Context.protocol` and the
   * command line (`--<name>-port`, `--no-<name>`).
   */
  readonly name: string;
  /** One line for help texts, e.g. `JSON-RPC 2.0 over TCP (one message per line) and HTTP`. */
  readonly title: string;
  /** URL schemes (with the colon) that select this protocol's client, e.g. `['msgpack:']`. */
  readonly schemes: readonly string[];
  /** Schemes whose connections carry server push (subscriptions), e.g. `['tcp:', 'jsonrpc+tcp:']`. */
  readonly pushSchemes: readonly string[];
  createTransport(url: URL, options: ClientOptions): ClientTransport;
  readonly http?: HttpBinding;
  readonly upgrade?: UpgradeBinding;
  readonly stream?: StreamBinding;
}

// ---------------------------------------------------------------------------
// What a protocol folder supplies to the shared session (`session.ts`), message
// client (`message-client.ts`) and HTTP plumbing.

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
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void;
  /** Bytes held for an incomplete frame. */
  readonly pending: number;
  /**
   * outgoing, when set, rewrites each encoded message before it is sent on this
   * connection. A stream codec's encoders write the protocol's own framing (msgpack:
   * the length prefix); a framer that serves another framing on some connections sets
   * this once it knows which one the connection uses (msgpack's bare framing, told by
   * the first byte, drops the prefix). Unset: messages are sent as encoded.
   */
  readonly outgoing?: ((message: FrameBytes) => FrameBytes) | undefined;
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

/**
 * Refused is a batch entry the codec already answered (an entry that is not a valid
 * request): its ready-made error reply takes the entry's place in the batch answer.
 */
export class Refused {
  constructor(readonly reply: Reply) {}
}

/** BatchEntry is one entry of a decoded batch: a call to dispatch, or a ready-made error. */
export type BatchEntry = Call | Refused;

/** Incoming is what the server does with one decoded message. */
export type Incoming =
  | {
      readonly kind: 'call';
      readonly call: Call;
      /** rewrite adjusts the reply before it is encoded (a protocol-level addition to a result). */
      readonly rewrite?: (reply: Reply) => Reply;
    }
  /**
   * A batch: entries are dispatched concurrently (one after another when `sequential`),
   * and the non-null replies sent as one message (none: nothing is sent).
   */
  | { readonly kind: 'batch'; readonly entries: readonly BatchEntry[]; readonly sequential?: boolean }
  /** An error the codec answers itself (e.g. -32700 with id null); `close` ends the connection after it. */
  | { readonly kind: 'reply'; readonly reply: Reply; readonly close?: boolean }
  /** Nothing to answer and nothing to keep: close the connection. */
  | { readonly kind: 'close'; readonly reason: string }
  /** Nothing to do (e.g. a notification-shaped message the server has no use for). */
  | { readonly kind: 'ignore' };

/**
 * FrameBytes is one encoded frame: one buffer, or its parts in order (a large binary
 * value written by reference instead of copied into the frame).
 */
export type FrameBytes = Uint8Array | readonly Uint8Array[];

/**
 * ServerCodec is a protocol's server-side wire format over one kind of message
 * (`In`: a frame's bytes, an HTTP body, an in-process object). `decode` never throws:
 * bad input is an {@link Incoming} of kind `reply` or `close`. Encoders never throw
 * either: a value that cannot be encoded becomes an internal-error reply.
 */
export interface ServerCodec<In = Uint8Array, Out = FrameBytes> {
  decode(message: In, limits: Limits): Incoming;
  /**
   * peekId reads only the id of a request, without decoding the rest: a draining
   * session answers a call it will not run (-32003) from the id alone. Undefined when
   * the message is not a single request with an id, or the codec cannot tell (the
   * session then decodes it). Optional; never throws.
   */
  peekId?(message: In): Id | undefined;
  encodeReply(reply: Reply): Out;
  /** encodeBatch is needed only by protocols whose `decode` yields batches. */
  encodeBatch?(replies: readonly Reply[]): Out;
  /** encodePush is needed only where the protocol carries server push. */
  encodePush?(push: ServerPush): Out;
}

/**
 * StreamServerCodec is the server side of a protocol over a byte stream: a framer,
 * and encoders that return whole frames ready to write (length prefix or newline
 * included), push included.
 */
export interface StreamServerCodec extends ServerCodec<Uint8Array, FrameBytes> {
  createFramer(limits: Limits): Framer;
  encodePush(push: ServerPush): FrameBytes;
}

/** ClientIncoming is what a client does with one decoded message. */
export type ClientIncoming =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'batch'; readonly replies: readonly Reply[] }
  | { readonly kind: 'push'; readonly push: ServerPush }
  /** A message the client cannot use; `id` when it names a pending call (which then fails). */
  | { readonly kind: 'invalid'; readonly message: string; readonly id?: Id };

/** Sent is what an answer replies to, where the transport knows it (an HTTP exchange). */
export interface Sent {
  /** The ids of the calls sent, in order. */
  readonly ids: readonly number[];
  /** Whether they went as a batch (a batch of one is still a batch). */
  readonly batch: boolean;
}

/**
 * ClientCodec is a protocol's client-side wire format. Encoders return whole messages
 * and throw (TypeError or the codec's own error) when a param cannot be encoded;
 * `decode` never throws. `sent` tells a protocol without ids on the wire (XML-RPC)
 * which calls an answer belongs to.
 */
export interface ClientCodec<In = Uint8Array, Out = FrameBytes> {
  encodeCall(id: number, call: OutgoingCall): Out;
  /** encodeNotify sends a call that gets no reply; omit when the protocol has no notifications. */
  encodeNotify?(call: OutgoingCall): Out;
  /** encodeBatch sends calls with the given ids in one message; omit when the protocol has no batch. */
  encodeBatch?(ids: readonly number[], calls: readonly OutgoingCall[]): Out;
  decode(message: In, sent?: Sent): ClientIncoming;
}

/** StreamClientCodec is the client side of a protocol over a byte stream. */
export interface StreamClientCodec extends ClientCodec<Uint8Array, FrameBytes> {
  createFramer(maxMessageBytes: number): Framer;
  encodeNotify(call: OutgoingCall): FrameBytes;
}
