/**
 * The per-call context a handler receives, and the per-connection pieces the
 * transports supply to build it.
 */
import type { Subscriptions } from './subscriptions.js';

/** Peer is the remote address of a connection, when there is one. */
export interface Peer {
  readonly address: string;
  readonly port: number;
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
  /** Per-connection state that handlers and middleware may use (auth, counters). */
  readonly session: Map<string, unknown>;
  /** Aborts when the connection closes, the server shuts down, or a subscription ends. */
  readonly signal: AbortSignal;
  /**
   * The connection's live subscriptions. Present only where the transport can push
   * (TCP protocols, in-process); calling a subscription without it is an error.
   */
  readonly subscriptions?: Subscriptions;
}

/** ConnectionInit is what a transport knows about a connection when it opens. */
export interface ConnectionInit {
  readonly protocol: string;
  readonly peer?: Peer;
  readonly subscriptions?: Subscriptions;
  /** An existing session to share (an HTTP keep-alive connection's). Defaults to a new one. */
  readonly session?: Map<string, unknown>;
}

/**
 * createConnectionContext returns the context shared by every call on one connection,
 * with an abort controller the transport fires when the connection ends.
 */
export function createConnectionContext(init: ConnectionInit): { context: Context; abort: () => void } {
  const controller = new AbortController();
  const context: Context = {
    protocol: init.protocol,
    peer: init.peer,
    session: init.session ?? new Map(),
    signal: controller.signal,
    subscriptions: init.subscriptions,
  };
  return {
    context,
    abort: () => {
      controller.abort();
      init.subscriptions?.closeAll();
    },
  };
}
