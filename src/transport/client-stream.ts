/**
 * One subscription on the message client, across connections: it remembers the id of
 * the last event it received, and after a reconnect (or an overflow the server
 * reports) it re-opens itself with `rpc.resubscribe [method, params, lastEventId]`,
 * so the server delivers every event after it — no gap, no repeat.
 *
 * Exports: ClientStream, StreamOwner.
 * @internal
 */
import { Code, RpcError } from '../rpc/errors.js';
import { PushMethod, type Reply } from '../rpc/message.js';
import { createQueue, type Queue } from '../rpc/queue.js';
import { ResponseError, TransportError } from './errors.js';
import type { PendingCalls, StreamTarget } from './pending-calls.js';
import { remoteSubscription } from './remote-subscription.js';
import type { CallOptions, OutgoingCall, RemoteSubscription } from './types.js';

/** StreamOwner is what a stream needs from its client. */
export interface StreamOwner {
  readonly protocol: string;
  readonly pending: PendingCalls;
  /** Whether a stream cut off by a lost connection will be re-opened on the next one. */
  readonly resuming: boolean;
  /** send sends a subscription call and resolves with its whole reply. */
  send(call: OutgoingCall, options: CallOptions | undefined, onReply: (reply: Reply) => void): Promise<Reply>;
  /** unsubscribe asks the server to stop subscription `subId` of the current connection. */
  unsubscribe(subId: number): void;
  /** forget drops a finished stream from the client's table. */
  forget(stream: ClientStream): void;
}

/**
 * ClientStream is one subscription's life on the client. Its queue (the iterator the
 * application reads) outlives the connections it was served on.
 */
export class ClientStream implements StreamTarget {
  /** The server's id for it on the current connection; undefined while detached. */
  subId: number | undefined;
  /** The id of the last event received; undefined when none had one. */
  lastEventId: unknown;
  /** Whether the server accepted it once (later openings are resubscriptions). */
  #accepted = false;
  /** Counts openings, so that the outcome of an abandoned one is ignored. */
  #attempt = 0;
  #done = false;
  /** Cut off by a lost connection (accepted or not): to be opened on the next one. */
  #cutOff = false;
  /** The application fell `capacity` events behind: stopped on the server until it catches up. */
  #overflowed = false;
  readonly #capacity: number;
  readonly queue: Queue<unknown>;
  readonly subscription: RemoteSubscription<unknown>;
  #accept!: () => void;
  #refuse!: (error: unknown) => void;

  constructor(
    readonly owner: StreamOwner,
    readonly call: OutgoingCall,
    readonly options: CallOptions | undefined,
    capacity: number,
  ) {
    this.#capacity = Math.max(1, capacity);
    // The queue itself never drops: past `capacity` the stream stops (see push).
    this.queue = createQueue<unknown>({
      capacity: Number.POSITIVE_INFINITY,
      onClose: () => this.#closed(),
      onTake: (size) => this.#taken(size),
    });
    const ready = new Promise<void>((resolve, reject) => {
      this.#accept = resolve;
      this.#refuse = reject;
    });
    this.subscription = remoteSubscription(this.queue, ready);
  }

  /** detached says the stream waits for a connection to be re-opened on. */
  get detached(): boolean {
    return this.#cutOff && !this.#done && !this.#overflowed;
  }

  // --- StreamTarget (pushes routed by PendingCalls) --------------------------

  push(event: unknown, eventId?: unknown): void {
    if (this.#overflowed) return;
    if (this.queue.size >= this.#capacity) {
      this.#overflow();
      return;
    }
    if (eventId !== undefined) this.lastEventId = eventId;
    this.queue.push(event);
  }

  end(error?: unknown): void {
    this.subId = undefined;
    // An overflow the server reports: resume from the last event received.
    if (isOverflow(error) && this.owner.resuming && this.lastEventId !== undefined) {
      this.open();
      return;
    }
    this.#finish(error);
  }

  // --- lifecycle --------------------------------------------------------------

  /** open sends the subscription (the first time) or its resubscription (after that). */
  open(): void {
    if (this.#done) return;
    this.#cutOff = false;
    const attempt = ++this.#attempt;
    const call: OutgoingCall = this.#accepted
      ? {
          method: PushMethod.Resubscribe,
          params: [this.call.method, this.call.params, this.lastEventId ?? null],
        }
      : this.call;
    // A resubscription waits as long as it takes: the heartbeat bounds a dead peer.
    const options = this.#accepted ? { timeout: 0 } : this.options;
    // Accepted here, synchronously: events that follow in the same read may fill the
    // buffer before any promise callback runs.
    const onReply = (reply: Reply): void => {
      if (attempt !== this.#attempt || !reply.ok || typeof reply.result !== 'number') return;
      this.subId = reply.result;
      this.#accepted = true;
      this.#accept();
      this.owner.pending.openStream(this.subId, this);
      if (this.#done) this.#unsubscribe();
    };
    this.owner.send(call, options, onReply).then(
      (reply) => {
        if (attempt !== this.#attempt) return;
        if (!reply.ok) this.#finish(reply.error);
        else if (typeof reply.result !== 'number')
          this.#finish(
            new ResponseError(`${this.owner.protocol}: ${this.call.method} did not return a subscription id`),
          );
      },
      (error: unknown) => {
        if (attempt !== this.#attempt) return;
        // Lost with its connection: it is re-opened on the next one.
        if (this.#accepted && this.owner.resuming && isLost(error)) return;
        this.#finish(error);
      },
    );
  }

  /**
   * detach forgets the connection it was served on (which is gone); a subscription the
   * server had not accepted yet is sent again too (its connection took it along).
   */
  detach(): void {
    this.subId = undefined;
    this.#attempt++;
    this.#cutOff = true;
  }

  // The application has not read `capacity` events. Nothing is dropped: the server
  // stops sending (rpc.unsubscribe), and once the application has read half of what
  // waits, the stream resubscribes after the last event it queued. A stream whose
  // events have no ids cannot do that: it ends, after what it holds, with -32002
  // (`data.reason: 'overflow'`).
  #overflow(): void {
    const resumable = this.owner.resuming && this.lastEventId !== undefined;
    this.#attempt++; // the reply of an opening still on the way is ignored
    this.#unsubscribe();
    this.subId = undefined;
    if (resumable) {
      this.#overflowed = true;
      return;
    }
    this.#finish(
      new RpcError(
        Code.EventsLost,
        `${this.owner.protocol}: the application fell ${this.#capacity} events behind and the subscription cannot resume (its events have no ids)`,
        { data: { reason: 'overflow' } },
      ),
    );
  }

  #taken(size: number): void {
    if (!this.#overflowed || this.#done || size > this.#capacity / 2) return;
    this.#overflowed = false;
    this.open();
  }

  /** fail ends the stream with `error` (the client closed, or will not reconnect). */
  fail(error: unknown): void {
    this.subId = undefined;
    this.#finish(error);
  }

  #finish(error: unknown): void {
    // ready settles once: after an acceptance this does nothing.
    this.#refuse(error ?? new TransportError('closed', `${this.owner.protocol}: subscription ended`));
    this.queue.end(error);
    this.#stop();
  }

  #closed(): void {
    this.#stop();
  }

  #stop(): void {
    if (this.#done) return;
    this.#done = true;
    this.owner.forget(this);
    this.#unsubscribe();
  }

  #unsubscribe(): void {
    const id = this.subId;
    if (id === undefined || !this.owner.pending.closeStream(id)) return;
    this.subId = undefined;
    this.owner.unsubscribe(id);
  }
}

function isOverflow(error: unknown): boolean {
  if (!(error instanceof RpcError) || error.code !== Code.EventsLost) return false;
  return (error.data as { reason?: unknown } | undefined)?.reason === 'overflow';
}

function isLost(error: unknown): boolean {
  return error instanceof TransportError && (error.reason === 'closed' || error.reason === 'connect');
}
