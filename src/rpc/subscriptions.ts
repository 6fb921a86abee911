/**
 * Subscriptions is a connection's table of live server-push streams. The transport
 * creates one per connection with a sink that writes {@link Push} messages; dispatch
 * opens entries, `rpc.unsubscribe` and disconnects close them.
 */
import { Code, RpcError } from './errors.js';
import type { Push, SubscriptionId } from './message.js';

/**
 * PushSink writes one push message to the peer. It may return a promise to apply
 * backpressure (the pump waits for it before pulling the next event); it must not
 * throw. A sink that cannot keep up should close the connection instead of buffering.
 */
export type PushSink = (push: Push) => void | Promise<void>;

/** Subscriptions is the per-connection table; see {@link createSubscriptions}. */
export interface Subscriptions {
  /**
   * open registers a stream and returns its id. Nothing is pulled from `events`
   * until `start(id)` is called, which the transport does after the subscribe reply
   * has been written, so no event can overtake it.
   */
  open(
    events: AsyncIterable<unknown>,
    controller: AbortController,
    check?: (event: unknown) => unknown,
    eventId?: (event: unknown) => unknown,
  ): SubscriptionId;
  /**
   * reserve claims a slot before a subscription's handler runs, so a refused
   * subscription runs no handler and leaves nothing behind. The caller then opens the
   * stream through the reservation, or releases it when the handler fails.
   * @throws RpcError with {@link Code.LimitExceeded} when live and reserved streams are at the limit.
   */
  reserve(): Reservation;
  /** start begins pumping a stream opened with {@link Subscriptions.open}. */
  start(id: SubscriptionId): void;
  /** close ends one stream on the client's request; false when the id is unknown. */
  close(id: SubscriptionId): boolean;
  /** closeAll ends every stream (the connection went away). */
  closeAll(): void;
  /**
   * endAll ends every stream with `error`, telling the peer (an `end` push each):
   * the server gave up on them (a peer that does not read its pushes).
   */
  endAll(error: RpcError): void;
  /** Number of live streams. */
  readonly size: number;
}

/**
 * Reservation is one claimed slot in a {@link Subscriptions} table. Exactly one of
 * `open` or `release` should be called; later calls do nothing (a second `open` throws).
 */
export interface Reservation {
  /** open registers the stream in the reserved slot; see {@link Subscriptions.open}. */
  open(
    events: AsyncIterable<unknown>,
    controller: AbortController,
    check?: (event: unknown) => unknown,
    eventId?: (event: unknown) => unknown,
  ): SubscriptionId;
  /** release gives the slot back unused. */
  release(): void;
}

/** SubscriptionsOptions limit a connection's subscriptions. */
export interface SubscriptionsOptions {
  /** Live streams one connection may hold. Defaults to 64. */
  readonly maxSubscriptions?: number;
}

interface Entry {
  readonly events: AsyncIterable<unknown>;
  readonly controller: AbortController;
  readonly check?: (event: unknown) => unknown;
  readonly eventId?: (event: unknown) => unknown;
  iterator?: AsyncIterator<unknown>;
}

/** createSubscriptions returns an empty table that writes to `sink`. */
export function createSubscriptions(sink: PushSink, options: SubscriptionsOptions = {}): Subscriptions {
  const max = options.maxSubscriptions ?? 64;
  const live = new Map<SubscriptionId, Entry>();
  let reserved = 0;
  let nextId = 1;

  const refuseWhenFull = (): void => {
    if (live.size + reserved >= max) {
      throw new RpcError(Code.LimitExceeded, `rpc: too many subscriptions on this connection (limit ${max})`);
    }
  };
  const add = (entry: Entry): SubscriptionId => {
    const id = nextId++;
    live.set(id, entry);
    return id;
  };

  const pump = async (id: SubscriptionId, entry: Entry): Promise<void> => {
    try {
      // Inside the try: a handler's iterable whose iterator cannot be made must end
      // its stream with an error, not reject a promise nobody awaits.
      const iterator = entry.events[Symbol.asyncIterator]();
      entry.iterator = iterator;
      for (;;) {
        const step = await iterator.next();
        if (step.done || !live.has(id)) break;
        const event = entry.check ? await entry.check(step.value) : step.value;
        const eventId = entry.eventId?.(event);
        const wait = sink(
          eventId === undefined
            ? { kind: 'event', subscription: id, event }
            : { kind: 'event', subscription: id, event, eventId },
        );
        if (wait !== undefined) await wait;
      }
      if (live.delete(id)) sink({ kind: 'end', subscription: id });
    } catch (err) {
      if (live.delete(id)) sink({ kind: 'end', subscription: id, error: RpcError.from(err) });
    } finally {
      entry.controller.abort();
    }
  };

  const stop = (id: SubscriptionId, entry: Entry): void => {
    live.delete(id);
    entry.controller.abort();
    // Ends a generator parked at `yield`; a pending next() settles on the abort.
    void entry.iterator?.return?.()?.catch(() => {});
  };

  return {
    get size() {
      return live.size;
    },
    open(events, controller, check, eventId) {
      refuseWhenFull();
      return add({ events, controller, check, eventId });
    },
    reserve() {
      refuseWhenFull();
      reserved++;
      let held = true;
      const giveBack = (): boolean => {
        if (!held) return false;
        held = false;
        reserved--;
        return true;
      };
      return {
        open(events, controller, check, eventId) {
          if (!giveBack()) throw new Error('rpc: a subscription reservation was already used');
          return add({ events, controller, check, eventId });
        },
        release() {
          giveBack();
        },
      };
    },
    start(id) {
      const entry = live.get(id);
      if (entry !== undefined && entry.iterator === undefined) void pump(id, entry);
    },
    close(id) {
      const entry = live.get(id);
      if (entry === undefined) return false;
      stop(id, entry);
      return true;
    },
    closeAll() {
      for (const [id, entry] of live) stop(id, entry);
    },
    endAll(error) {
      for (const [id, entry] of live) {
        stop(id, entry);
        sink({ kind: 'end', subscription: id, error });
      }
    },
  };
}
