/**
 * What the message client holds back from the wire: messages waiting for a
 * connection (bounded; each tagged with its call id, so one whose call already failed
 * is never sent), and idempotent calls in flight, to be sent once more if their
 * connection is lost.
 *
 * Exports: Outbox.
 * @internal
 */
import type { PendingCalls } from './pending-calls.js';

/** A message waiting for a connection, with the id of the call it carries (none for a notification). */
interface Waiting<Out> {
  readonly id: number | undefined;
  readonly message: Out;
}

/** Outbox is one client's held-back messages. Not shared; methods never throw. */
export class Outbox<Out> {
  #waiting: Waiting<Out>[] = [];
  /** Idempotent calls in flight, by id. */
  #retryable: Map<number, Out> | undefined;

  constructor(
    readonly pending: PendingCalls,
    /** Messages that may wait at once. */
    readonly max: number,
  ) {}

  /** Messages waiting for a connection. */
  get size(): number {
    return this.#waiting.length;
  }

  /** hold queues a message until the connection is made; false when the queue is full. */
  hold(id: number | undefined, message: Out): boolean {
    if (this.#waiting.length >= this.max) this.#waiting = this.#waiting.filter((w) => this.#live(w));
    if (this.#waiting.length >= this.max) return false;
    this.#waiting.push({ id, message });
    return true;
  }

  /** remember keeps an idempotent call's message until its outcome is known. */
  remember(id: number, message: Out, outcome: Promise<unknown>): void {
    this.#retryable ??= new Map();
    this.#retryable.set(id, message);
    const done = (): void => {
      this.#retryable?.delete(id);
    };
    outcome.then(done, done);
  }

  /**
   * again puts the idempotent calls in flight (or those of them in `only`) at the front
   * of the queue, once (the connection they went out on is lost), and returns their ids.
   */
  again(only?: ReadonlySet<number>): ReadonlySet<number> | undefined {
    const held = this.#retryable;
    if (held === undefined || held.size === 0) return undefined;
    const resend: Waiting<Out>[] = [];
    if (only === undefined) {
      this.#retryable = undefined;
      for (const [id, message] of held) resend.push({ id, message });
    } else {
      for (const id of only) {
        const message = held.get(id);
        if (message === undefined) continue;
        held.delete(id);
        resend.push({ id, message });
      }
      if (resend.length === 0) return undefined;
    }
    this.#waiting = [...resend, ...this.#waiting];
    return new Set(resend.map((w) => w.id as number));
  }

  /** flush hands every message still wanted to `send`, oldest first, and empties the queue. */
  flush(send: (message: Out) => void): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) if (this.#live(w)) send(w.message);
  }

  /** failAll fails the calls of every waiting message and forgets everything held. */
  failAll(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#retryable = undefined;
    for (const w of waiting) if (w.id !== undefined) this.pending.fail(w.id, error);
  }

  #live(w: Waiting<Out>): boolean {
    return w.id === undefined || this.pending.has(w.id);
  }
}
