/**
 * The message seam: a connection that carries whole messages, whatever carries them
 * (a TCP socket and a framer, an in-process pair, a WebSocket). The server's
 * {@link Session} and the client's `MessageClient` are written against it once;
 * an adapter owns only what its wire needs.
 *
 * Exports: MessageConnection, ConnectionEvents.
 */
import type { Peer } from '../rpc/context.js';

/**
 * ConnectionEvents are what a connection tells its owner. They are called on the
 * connection's own turn of the event loop and must not throw.
 */
export interface ConnectionEvents<In, Out> {
  /** message delivers one whole incoming message. Byte messages may be views: use them before returning. */
  message(message: In): void;
  /**
   * broken reports input that cannot be split into messages (a bad length prefix, an
   * over-long line). The adapter has already stopped reading; `reply` is the
   * protocol's framed error, when it has one, for the owner to send before closing.
   */
  broken(reason: string, reply?: Out): void;
  /** ended says the peer will send nothing more (a TCP FIN); output may still flow. */
  ended(): void;
  /** drained says the output buffered for the peer fell to zero after a wait. */
  drained(): void;
  /** closed is the last event: the connection is gone, with or without an error. */
  closed(error?: Error): void;
}

/**
 * MessageConnection is one connection that carries whole messages both ways.
 * `send` never throws and never blocks: output is queued and counted in `buffered`,
 * and the owner decides what to do with a peer that does not read (pause its input,
 * cut it off). Everything sent after `end` or `destroy` is dropped.
 */
export interface MessageConnection<In, Out> {
  /** The remote address, when the connection has one. */
  readonly peer?: Peer;
  /** Bytes (or messages, for in-process pairs) sent but not yet taken by the peer. */
  readonly buffered: number;
  /** open starts delivering events; call it once. */
  open(events: ConnectionEvents<In, Out>): void;
  /** send queues one encoded message; queued messages go out together at the end of the tick. */
  send(message: Out): void;
  /** pause stops reading from the peer until `resume` (the peer's own buffers then fill). */
  pause(): void;
  resume(): void;
  /** waitDrain arranges one `drained` event once `buffered` reaches zero (at most one is pending). */
  waitDrain(): void;
  /**
   * setIdleTimeout closes the connection after `ms` with no traffic, if `canClose` says
   * so then (the owner may have a call running or a stream waiting); 0 turns it off.
   */
  setIdleTimeout(ms: number, canClose: () => boolean): void;
  /** end flushes what is queued and closes gracefully. */
  end(): void;
  /** destroy closes at once, dropping what is queued. */
  destroy(): void;
}
