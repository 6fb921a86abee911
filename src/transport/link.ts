/**
 * One connection of the message client (`message-client.ts`): messages queued while it
 * opens, whether anything came back, and the seam's events passed to the client.
 *
 * Exports: Link, LinkOwner.
 * @internal
 */
import type { ConnectionEvents, MessageConnection } from './connection.js';
import { connectError, ResponseError, type TransportError } from './errors.js';
import type { ClientIncoming } from './types.js';

/** LinkOwner is what a link tells and asks its client. */
export interface LinkOwner<In, Out> {
  readonly protocol: string;
  /** Where the server is, for messages. */
  readonly where: string;
  decode(message: In): ClientIncoming;
  incoming(incoming: ClientIncoming): void;
  /** lost: the link is gone (failed to connect, broken, closed); fail what it carried. */
  lost(link: Link<In, Out>, error: Error): void;
  closedError(link: Link<In, Out>): TransportError;
}

/** One connection's life: messages queued while it opens, and whether anything came back. */
export class Link<In, Out> implements ConnectionEvents<In, Out> {
  conn: MessageConnection<In, Out> | undefined;
  queue: Out[] | undefined = [];
  heard = false;
  /** Called once the connection has closed (close() waits on it). */
  whenClosed: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly client: LinkOwner<In, Out>,
    dial: () => Promise<MessageConnection<In, Out>>,
  ) {
    this.ready = dial().then(
      (conn) => {
        this.conn = conn;
        conn.open(this);
        const queued = this.queue ?? [];
        this.queue = undefined;
        for (const m of queued) conn.send(m);
      },
      (err: unknown) => {
        this.queue = undefined;
        const error = connectError(client.protocol, client.where, err);
        client.lost(this, error);
        throw error;
      },
    );
    this.ready.catch(() => {});
  }

  send(message: Out): void {
    if (this.conn !== undefined) this.conn.send(message);
    else this.queue?.push(message);
  }

  message(message: In): void {
    this.heard = true;
    this.client.incoming(this.client.decode(message));
  }

  broken(reason: string): void {
    this.conn?.destroy();
    const protocol = this.client.protocol;
    const text = reason.startsWith(`${protocol}:`) ? reason.slice(protocol.length + 1).trim() : reason;
    this.client.lost(this, new ResponseError(`${protocol}: the server's answer cannot be read: ${text}`));
  }

  ended(): void {
    this.conn?.end();
  }

  drained(): void {}

  closed(): void {
    this.client.lost(this, this.client.closedError(this));
    this.whenClosed?.();
  }
}
