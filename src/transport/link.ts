/**
 * One connection attempt of the message client (`message-client.ts`): the dial,
 * whether anything came back, the heartbeat that notices a dead peer, and the
 * seam's events passed to the client. A new attempt is a new Link.
 *
 * Exports: Link, LinkOwner.
 * @internal
 */
import type { ConnectionEvents, MessageConnection } from './connection.js';
import { connectError, ResponseError, TransportError } from './errors.js';
import type { HeartbeatPolicy } from './reconnect.js';
import type { ClientIncoming } from './types.js';

/** LinkOwner is what a link tells and asks its client. */
export interface LinkOwner<In, Out> {
  readonly protocol: string;
  /** Where the server is, for messages. */
  readonly where: string;
  decode(message: In): ClientIncoming;
  incoming(incoming: ClientIncoming, link: Link<In, Out>): void;
  /** opened: the connection is up; send what waits. */
  opened(link: Link<In, Out>): void;
  /** lost: the link is gone (failed to connect, broken, closed, dead); fail what it carried. */
  lost(link: Link<In, Out>, error: Error): void;
  closedError(link: Link<In, Out>): TransportError;
  /** Whether anything waits on the connection (calls in flight, live subscriptions). */
  readonly busy: boolean;
  /** ping sends one heartbeat call. */
  ping(): void;
}

/** One connection's life: the dial, whether anything came back, and its heartbeat. */
export class Link<In, Out> implements ConnectionEvents<In, Out> {
  conn: MessageConnection<In, Out> | undefined;
  heard = false;
  /**
   * Set when the server said `rpc.goaway`: the calls still in flight on it (their
   * replies come here), and nothing new is sent on it. Undefined while current.
   */
  retiring: Set<number> | undefined;
  /** Set by every message; the heartbeat clears it each round. */
  #heardSinceTick = false;
  #missed = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #gone = false;
  /** Called once the connection has closed (close() waits on it). */
  whenClosed: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly client: LinkOwner<In, Out>,
    dial: () => Promise<MessageConnection<In, Out>>,
    readonly heartbeat?: HeartbeatPolicy,
  ) {
    this.ready = dial().then(
      (conn) => {
        if (this.#gone) {
          conn.destroy(); // abandoned while dialing (the client closed)
          return;
        }
        this.conn = conn;
        conn.open(this);
        this.#startHeartbeat();
        client.opened(this);
      },
      (err: unknown) => {
        const error = connectError(client.protocol, client.where, err);
        this.#lose(error);
        throw error;
      },
    );
    this.ready.catch(() => {});
  }

  /**
   * retire marks the link as going away with `inFlight` still to be answered on it; it
   * half-closes once they are (at once when there are none). Its heartbeat stops: the
   * server's drain deadline bounds it.
   */
  retire(inFlight: Iterable<number>): void {
    this.#stopHeartbeat();
    this.retiring = new Set(inFlight);
    if (this.retiring.size === 0) this.conn?.end();
  }

  /** answered notes that call `id` (sent on this retiring link) has its reply. */
  answered(id: unknown): void {
    const left = this.retiring;
    if (left === undefined || typeof id !== 'number' || !left.delete(id) || left.size > 0) return;
    this.conn?.end();
  }

  /**
   * shutdown abandons the link (the client is closing), waits for its dial, and ends
   * the connection gracefully — destroyed if it has not closed within a second.
   */
  async shutdown(): Promise<void> {
    this.abandon();
    await this.ready.catch(() => {});
    const conn = this.conn;
    if (conn === undefined) return;
    await new Promise<void>((resolve) => {
      this.whenClosed = resolve;
      conn.end();
      setTimeout(() => {
        conn.destroy();
        resolve();
      }, 1000).unref();
    });
  }

  /** abandon stops the link without telling the client (the client is closing). */
  abandon(): void {
    this.#gone = true;
    this.#stopHeartbeat();
  }

  message(message: In): void {
    this.heard = true;
    this.#heardSinceTick = true;
    this.client.incoming(this.client.decode(message), this);
  }

  broken(reason: string): void {
    this.conn?.destroy();
    const protocol = this.client.protocol;
    const text = reason.startsWith(`${protocol}:`) ? reason.slice(protocol.length + 1).trim() : reason;
    this.#lose(new ResponseError(`${protocol}: the server's answer cannot be read: ${text}`));
  }

  ended(): void {
    this.conn?.end();
  }

  drained(): void {}

  closed(): void {
    this.#lose(this.client.closedError(this));
    this.whenClosed?.();
  }

  #lose(error: Error): void {
    this.#stopHeartbeat();
    if (this.#gone) return;
    this.#gone = true;
    this.client.lost(this, error);
  }

  // Every interval: a connection heard from is fine; a quiet one with work waiting
  // gets a ping; `misses` unanswered pings in a row fail it (a half-open socket or a
  // frozen peer closes nothing by itself). The client is told at once: a WebSocket's
  // closing handshake with a frozen peer would take its own time.
  #startHeartbeat(): void {
    const policy = this.heartbeat;
    if (policy === undefined) return;
    this.#heartbeat = setInterval(() => {
      if (this.#heardSinceTick || !this.client.busy) {
        this.#heardSinceTick = false;
        this.#missed = 0;
        return;
      }
      if (this.#missed >= policy.misses) {
        const { protocol, where } = this.client;
        const quiet = (policy.misses + 1) * policy.intervalMs;
        this.conn?.destroy();
        this.#lose(
          new TransportError(
            'closed',
            `${protocol}: no answer from ${where} for ${quiet} ms (heartbeat); connection closed; the outcome of calls in flight is unknown`,
          ),
        );
        return;
      }
      this.#missed++;
      this.client.ping();
    }, policy.intervalMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
