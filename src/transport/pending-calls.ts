/**
 * The client side of every call's life, written once for every client (connection,
 * HTTP, in-process): ids, deadlines, abort signals, failing everything on close,
 * batch settlement, and routing server push to subscriptions.
 *
 * Exports: PendingCalls, Registered, StreamTarget.
 * @internal
 */
import type { Push, Reply } from '../rpc/message.js';
import { DeadlineTimer } from './deadline-timer.js';
import { TransportError } from './errors.js';
import type { CallOptions, OutgoingCall } from './types.js';

const MAX_ID = 0xffff_ffff;

/** Registered is a call's id and the promise of its outcome. */
export interface Registered<T> {
  readonly id: number;
  readonly promise: Promise<T>;
}

/**
 * StreamTarget receives one subscription's pushes: its events (with their ids, when
 * the subscription has them) and its end. A `Queue` is one.
 */
export interface StreamTarget {
  push(event: unknown, eventId?: unknown): unknown;
  end(error?: unknown): void;
}

interface Entry {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Settle with the result (or reject with the remote error) instead of resolving with the reply. */
  readonly unwrap: boolean;
  /** performance.now() past which the call times out; Infinity for none. */
  readonly deadline: number;
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  /** Runs synchronously when the reply arrives, before any later message is handled. */
  readonly onReply: ((reply: Reply) => void) | undefined;
  /** Runs when the call fails here (timeout, abort, close): stops an exchange on the wire. */
  readonly cancel: ((error: Error) => void) | undefined;
  /** The call as sent, kept when it may be sent again after a -32003 (`resendable`). */
  readonly call: OutgoingCall | undefined;
  /** Times it was sent again. */
  resent: number;
}

/** What `add` may attach to a call besides its options. */
export interface AddOptions {
  /** Resolve with the result and reject with a remote error (true), or resolve with the whole reply. */
  readonly unwrap?: boolean;
  readonly onReply?: (reply: Reply) => void;
  readonly cancel?: (error: Error) => void;
  /** The call as sent: given, a -32003 reply lets `resendable` hand it back to send again. */
  readonly call?: OutgoingCall;
}

/**
 * PendingCalls is one client's table of calls awaiting replies. One timer serves every
 * deadline and one listener every call that shares an AbortSignal. Not shared between
 * clients; all methods are synchronous and never throw.
 */
export class PendingCalls {
  readonly #entries = new Map<number, Entry>();
  /** For each signal in use: its listener and the calls it would abort. */
  readonly #signals = new Map<AbortSignal, { ids: Set<number>; listener: () => void }>();
  /** Ids of each batch in flight, oldest first. */
  readonly #batches = new Set<readonly number[]>();
  readonly #streams = new Map<number, StreamTarget>();
  readonly #deadlines: DeadlineTimer;
  #nextId = 0;

  constructor(
    /** Prefix of error messages, e.g. `msgpack`. */
    readonly protocol: string,
    /** Timeout of a call whose options name none, in ms; 0 for none. */
    readonly defaultTimeout: number,
  ) {
    this.#deadlines = new DeadlineTimer((now) => this.#expire(now));
  }

  /** Number of calls awaiting replies. */
  get size(): number {
    return this.#entries.size;
  }

  /** Number of live subscriptions. */
  get streams(): number {
    return this.#streams.size;
  }

  /** has tells whether call `id` still awaits its reply. */
  has(id: number): boolean {
    return this.#entries.has(id);
  }

  /** ids lists the calls awaiting replies (a snapshot). */
  ids(): number[] {
    return [...this.#entries.keys()];
  }

  /**
   * resendable returns call `id` to be sent again under the same id and deadline, and
   * counts it, when it kept its call (`AddOptions.call`), still waits, and was sent again
   * fewer than `max` times; else undefined (the reply then settles it as usual).
   */
  resendable(id: unknown, max: number): OutgoingCall | undefined {
    const entry = typeof id === 'number' ? this.#entries.get(id) : undefined;
    if (entry?.call === undefined || entry.resent >= max) return undefined;
    if (entry.deadline <= performance.now()) return undefined;
    entry.resent++;
    return entry.call;
  }

  /** refused returns the error a call with these options fails with before it is sent, if any. */
  refused(options: CallOptions | undefined): TransportError | undefined {
    const signal = options?.signal;
    return signal?.aborted === true ? aborted(signal) : undefined;
  }

  /** nextId allocates an id with no entry (a notification's batch slot, an exchange's own id). */
  nextId(): number {
    this.#nextId = this.#nextId >= MAX_ID ? 1 : this.#nextId + 1;
    return this.#nextId;
  }

  /**
   * add registers a call and returns its id and the promise of its outcome: the
   * result (`unwrap`) or the whole reply.
   */
  add<T = unknown>(options: CallOptions | undefined, more?: AddOptions): Registered<T> {
    const id = this.nextId();
    const signal = options?.signal;
    const timeout = options?.timeout ?? this.defaultTimeout;
    const deadline = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
    const promise = new Promise<T>((resolve, reject) => {
      this.#entries.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        unwrap: more?.unwrap ?? true,
        deadline,
        timeout,
        signal,
        onReply: more?.onReply,
        cancel: more?.cancel,
        call: more?.call,
        resent: 0,
      });
    });
    if (signal !== undefined) this.#watch(signal, id);
    if (deadline !== Number.POSITIVE_INFINITY) this.#deadlines.arm(deadline);
    return { id, promise };
  }

  /** addBatch registers calls sent in one message, so an unaddressed error fails them together. */
  addBatch(
    count: number,
    options: CallOptions | undefined,
    cancel?: (error: Error) => void,
  ): Registered<Reply>[] {
    const entries: Registered<Reply>[] = [];
    for (let i = 0; i < count; i++) entries.push(this.add<Reply>(options, { unwrap: false, cancel }));
    const ids = entries.map((e) => e.id);
    this.#batches.add(ids);
    void Promise.allSettled(entries.map((e) => e.promise)).then(() => this.#batches.delete(ids));
    return entries;
  }

  /** settle delivers a reply to its call (unknown ids are ignored: the call already failed). */
  settle(reply: Reply): void {
    if (typeof reply.id !== 'number') return; // not ours; unaddressed errors go to failUnaddressed
    const entry = this.#take(reply.id);
    if (entry === undefined) return;
    entry.onReply?.(reply);
    if (!entry.unwrap) entry.resolve(reply);
    else if (reply.ok) entry.resolve(reply.result);
    else entry.reject(reply.error);
  }

  /** resolve settles call `id` with `value` as it is. */
  resolve(id: number, value: unknown): void {
    this.#take(id)?.resolve(value);
  }

  /** fail rejects call `id`; false when it is no longer pending. */
  fail(id: number, error: Error): boolean {
    const entry = this.#take(id);
    if (entry === undefined) return false;
    entry.reject(error);
    return true;
  }

  /**
   * failUnaddressed handles an error the server could not address to a call (it could
   * not read the request's id, or refused a whole batch). It fails the calls it can
   * only belong to — the one call in flight, or the one batch that holds every call in
   * flight — and returns false when that is ambiguous (the caller should then close
   * the connection, which fails everything with a clear error).
   */
  failUnaddressed(error: Error): boolean {
    const size = this.#entries.size;
    if (size === 0) return true;
    if (size === 1) {
      this.#failHere(this.#entries.keys().next().value as number, error);
      return true;
    }
    for (const group of this.#batches) {
      const live = group.filter((id) => this.#entries.has(id));
      if (live.length !== size) continue;
      for (const id of live) this.#failHere(id, error);
      return true;
    }
    return false;
  }

  /** failAll rejects every call (stopping exchanges on the wire) and ends every subscription with `error`. */
  failAll(error: Error): void {
    this.failCalls(error);
    for (const [id, q] of this.#streams) {
      this.#streams.delete(id);
      q.end(error);
    }
  }

  /**
   * failCalls rejects every call except those in `keep` (calls to be sent again), and
   * leaves subscriptions alone.
   */
  failCalls(error: Error, keep?: ReadonlySet<number>): void {
    for (const id of [...this.#entries.keys()]) if (keep?.has(id) !== true) this.#failHere(id, error);
    if (this.#entries.size === 0) this.#deadlines.stop();
  }

  /** forgetStreams stops routing every subscription without ending it (their ids died with a connection). */
  forgetStreams(): void {
    this.#streams.clear();
  }

  /** openStream routes pushes for subscription `id` to `target`. */
  openStream(id: number, target: StreamTarget): void {
    this.#streams.set(id, target);
  }

  /** closeStream stops routing subscription `id`; false when it was not routed. */
  closeStream(id: number): boolean {
    return this.#streams.delete(id);
  }

  /** push delivers a server push to its subscription's queue; false when no stream has that id. */
  push(push: Push): boolean {
    const queue = this.#streams.get(push.subscription);
    if (queue === undefined) return false;
    if (push.kind === 'event') queue.push(push.event, push.eventId);
    else {
      this.#streams.delete(push.subscription);
      queue.end(push.error);
    }
    return true;
  }

  #take(id: number): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (entry.signal !== undefined) this.#unwatch(entry.signal, id);
    if (this.#entries.size === 0) this.#deadlines.idle();
    return entry;
  }

  // Fails a call here (not by a reply): its exchange, if any, is stopped too.
  #failHere(id: number, error: Error): void {
    const entry = this.#take(id);
    if (entry === undefined) return;
    entry.cancel?.(error);
    entry.reject(error);
  }

  #expire(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [id, e] of this.#entries) {
      if (e.deadline <= now) {
        this.#failHere(
          id,
          new TransportError('timeout', `${this.protocol}: call timed out after ${e.timeout} ms`),
        );
      } else if (e.deadline < next) next = e.deadline;
    }
    return next;
  }

  #watch(signal: AbortSignal, id: number): void {
    const known = this.#signals.get(signal);
    if (known !== undefined) {
      known.ids.add(id);
      return;
    }
    const ids = new Set([id]);
    const listener = (): void => {
      const error = aborted(signal);
      for (const callId of [...ids]) this.#failHere(callId, error);
    };
    this.#signals.set(signal, { ids, listener });
    signal.addEventListener('abort', listener, { once: true });
  }

  #unwatch(signal: AbortSignal, id: number): void {
    const known = this.#signals.get(signal);
    if (known === undefined) return;
    known.ids.delete(id);
    if (known.ids.size > 0) return;
    this.#signals.delete(signal);
    signal.removeEventListener('abort', known.listener);
  }
}

/** aborted is the error of a call whose signal fired. */
export function aborted(signal: AbortSignal): TransportError {
  return new TransportError('aborted', 'rpc: call aborted', { cause: signal.reason });
}
