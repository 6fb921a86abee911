/**
 * The per-call context a handler receives, and the per-connection pieces the
 * transports supply to build it.
 */
import type { Subscriptions } from './subscriptions.js';

/** Peer is the remote address of a connection, when there is one. */
export interface Peer {
  readonly address: string;
  readonly port: number;
  /**
   * The client certificate, when the connection is TLS and the server asked for one
   * and verified it against its CA (mutual TLS).
   */
  readonly certificate?: PeerCertificate;
}

/** PeerCertificate is what a handler learns of a verified client certificate. */
export interface PeerCertificate {
  /** The subject's fields, e.g. `{ CN: 'alice', O: 'Example' }`. */
  readonly subject: Readonly<Record<string, string>>;
  /** The issuer's fields. */
  readonly issuer: Readonly<Record<string, string>>;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string;
}

/**
 * Context is what a handler learns about its call.
 * `session` lives as long as the connection (one HTTP request for XML-RPC over a
 * fresh connection, the socket's life for TCP protocols).
 */
export interface Context {
  /** The protocol the call came in on: `xmlrpc`, `jsonrpc`, `msgpack` or `inprocess`. */
  readonly protocol: string;
  /** The caller's address, when the transport has one. */
  readonly peer?: Peer;
  /**
   * The caller's identity, as the server's `authenticate` hook returned it, or
   * undefined for an anonymous caller. On a connection it is set by `rpc.authenticate`
   * (or the client certificate) and holds for every later call; over HTTP it comes
   * with each request's `Authorization` header.
   */
  readonly auth?: unknown;
  /** Per-connection state that handlers and middleware may use (counters, caches). */
  readonly session: Map<string, unknown>;
  /** Aborts when the connection closes, the server shuts down, or a subscription ends. */
  readonly signal: AbortSignal;
  /**
   * The connection's live subscriptions. Present only where the transport can push
   * (TCP protocols, in-process); calling a subscription without it is an error.
   */
  readonly subscriptions?: Subscriptions;
  /**
   * In a subscription handler re-opened after a reconnect (`rpc.resubscribe`): the id
   * of the last event the client received (null when it received none). The handler
   * should deliver every event after it, then live ones; when it no longer has events
   * that old it should throw (or end the stream with) an `RpcError` with
   * `Code.EventsLost`. Undefined on a first subscription and for plain calls.
   */
  readonly resumeAfter?: unknown;
}

/** ConnectionInit is what a transport knows about a connection when it opens. */
export interface ConnectionInit {
  readonly protocol: string;
  readonly peer?: Peer;
  /** The connection's subscriptions, or a function that makes them on first use. */
  readonly subscriptions?: Subscriptions | (() => Subscriptions);
  /**
   * An existing session to share (an HTTP keep-alive connection's), or a function that
   * finds it on first use. Defaults to a new one.
   */
  readonly session?: Map<string, unknown> | (() => Map<string, unknown>);
  /** The caller's identity, when it is known as the context is made (an HTTP request's). */
  readonly auth?: unknown;
}

/**
 * createConnectionContext returns the context shared by every call on one connection;
 * the transport calls `abort` when the connection ends. As with
 * {@link createRequestContext}, the session and the signal are made on first use (a
 * connection per call, as jayson's client makes, should not pay for an
 * AbortController it never reads).
 */
export function createConnectionContext(init: ConnectionInit): {
  context: Context;
  abort: () => void;
  identify: (auth: unknown) => void;
} {
  const state = new RequestState(init);
  return {
    context: state,
    identify: (auth) => {
      state.auth = auth;
    },
    abort: () => {
      state.end();
      state.made?.closeAll();
    },
  };
}

/**
 * createRequestContext returns the context of one request on a request/response
 * transport (HTTP). Its abort signal is made only if a handler reads it: building and
 * aborting an AbortController on every request costs more than decoding the request.
 * Call `end()` when the response is sent.
 */
export function createRequestContext(init: ConnectionInit): { context: Context; end: () => void } {
  const state = new RequestState(init);
  return { context: state, end: () => state.end() };
}

// A class, so the lazy getters live on the prototype rather than in every context.
class RequestState implements Context {
  readonly protocol: string;
  readonly peer?: Peer;
  auth: unknown;
  #subscriptions: Subscriptions | (() => Subscriptions) | undefined;
  #session: Map<string, unknown> | (() => Map<string, unknown>) | undefined;
  #controller: AbortController | undefined;
  #ended = false;

  constructor(init: ConnectionInit) {
    this.protocol = init.protocol;
    this.peer = init.peer;
    this.auth = init.auth;
    this.#subscriptions = init.subscriptions;
    this.#session = init.session;
  }

  get subscriptions(): Subscriptions | undefined {
    const s = this.#subscriptions;
    if (typeof s !== 'function') return s;
    const made = s();
    this.#subscriptions = made;
    return made;
  }

  /** The subscriptions, if they were made (closing them must not make them). */
  get made(): Subscriptions | undefined {
    const s = this.#subscriptions;
    return typeof s === 'function' ? undefined : s;
  }

  get session(): Map<string, unknown> {
    const s = this.#session;
    if (s instanceof Map) return s;
    const made = s === undefined ? new Map<string, unknown>() : s();
    this.#session = made;
    return made;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#ended) this.#controller.abort(); // read after the end: already aborted
    }
    return this.#controller.signal;
  }

  end(): void {
    this.#ended = true;
    this.#controller?.abort();
  }
}
