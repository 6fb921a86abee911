/**
 * Broker is the seam behind the chat rooms: publish, subscribe and history. The
 * embedded default keeps rooms in memory within a byte budget; `createRedisBroker`
 * (redis-broker.ts) shares rooms between processes through Redis Streams.
 */
import { Code, RpcError } from '../rpc/errors.js';
import { createQueue } from '../rpc/queue.js';

/**
 * ChatMessage is one stored message. `id` is a positive safe integer that increases by
 * one within a room. A broker never gives one id to two different messages of a room,
 * not even across a restart (the memory broker: see `MemoryBrokerOptions.idBase`), so
 * an id a subscriber resumes from always means the same message or a gap.
 */
export interface ChatMessage {
  readonly id: number;
  readonly room: string;
  readonly nick: string;
  readonly text: string;
  readonly at: Date;
}

/** BrokerSubscribeOptions configure one subscriber. */
export interface BrokerSubscribeOptions {
  /** Ends the stream when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Replays the stored messages with a greater id first, then continues live, with no
   * gap and no repeat. When messages after it are no longer kept (trimmed history, a
   * restarted in-memory broker), subscribe throws an `RpcError` with `Code.EventsLost`.
   */
  readonly afterId?: number;
}

/**
 * Broker stores and fans out chat messages.
 *
 * Slow subscribers: each subscriber has a bounded queue; when it is full the stream
 * ends, after the messages it holds, with an `RpcError` of code `Code.EventsLost` and
 * `data.reason` `overflow` (never the server's memory, never a silent gap). The
 * subscriber resumes with `subscribe(room, { afterId: lastSeenId })`.
 */
export interface Broker {
  /** publish assigns the next id in the room, stores the message and delivers it to subscribers. */
  publish(message: Omit<ChatMessage, 'id'>): Promise<ChatMessage>;
  /** history returns stored messages with id > afterId, oldest first, at most `limit`. */
  history(room: string, afterId: number, limit: number): Promise<ChatMessage[]>;
  /**
   * subscribe yields every message published to the room after the call (after
   * `afterId`, when given). @throws RpcError `Code.EventsLost` when `afterId` is too old: at
   * once (memory), or as the stream's first result when the broker must ask its store
   * (Redis, which also ends it with `Code.Unavailable` when the store cannot be reached).
   */
  subscribe(room: string, options?: BrokerSubscribeOptions): AsyncIterable<ChatMessage>;
}

/** MemoryBrokerOptions configure {@link createMemoryBroker}. */
export interface MemoryBrokerOptions {
  /** Messages kept per room; older ones are forgotten. Defaults to 1000. */
  readonly historyLimit?: number;
  /** Messages queued per subscriber before its stream ends with `Code.EventsLost`. Defaults to 256. */
  readonly subscriberBuffer?: number;
  /**
   * Rooms kept; past this the least recently used room without subscribers is
   * forgotten entirely (made again, it numbers from a new base). Defaults to 10000.
   */
  readonly maxRooms?: number;
  /**
   * Where a new room's ids start: its first message gets `idBase + 1`. Defaults to the
   * time the room is made, `Date.now() × 1000`: a room made again — by a restarted
   * process, which has forgotten everything, or after `maxRooms` evicted it — numbers
   * above every id it gave before (unless it averaged more than 1,000 messages per ms,
   * or the clock went back), so a subscriber resuming after an old id gets the gap
   * signal (-32002) instead of other messages under the same ids. Ids stay safe
   * integers until the year 2255. Give 0 to number every room from 1.
   */
  readonly idBase?: number;
  /**
   * Bytes of messages kept across all rooms, as {@link messageBytes} estimates them.
   * Past it the oldest messages of the least recently used rooms go first. Defaults
   * to {@link DEFAULT_MAX_BYTES} (64 MiB).
   */
  readonly maxBytes?: number;
}

/** MemoryBrokerStats is what the in-memory broker holds right now. */
export interface MemoryBrokerStats {
  readonly rooms: number;
  readonly messages: number;
  /** The sum of {@link messageBytes} over the messages kept. */
  readonly bytes: number;
}

/** MemoryBroker is the in-memory {@link Broker}, with a look at what it holds. */
export interface MemoryBroker extends Broker {
  /** stats counts the rooms, messages and accounted bytes held now. */
  stats(): MemoryBrokerStats;
}

/** DEFAULT_MAX_BYTES is the in-memory broker's default byte budget: 64 MiB. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * MESSAGE_OVERHEAD_BYTES is what a stored message costs besides its text and nick:
 * the object, its Date, the string headers and its slot, about 230 bytes as measured
 * with `v8.getHeapStatistics()` on Node 20.
 */
export const MESSAGE_OVERHEAD_BYTES = 240;

/**
 * messageBytes estimates a stored message's heap cost: two bytes per UTF-16 unit of
 * text and nick (exact for two-byte strings, twice the truth for ASCII) plus
 * {@link MESSAGE_OVERHEAD_BYTES}. The room name is shared by the room's messages.
 */
export function messageBytes(m: Pick<ChatMessage, 'text' | 'nick'>): number {
  return (m.text.length + m.nick.length) * 2 + MESSAGE_OVERHEAD_BYTES;
}

/**
 * own returns a copy of `s` that shares no memory with anything else. A decoder may
 * hand out a string that is a slice of a whole request (V8 slices substrings of 13
 * characters or more; saxes' text is such a slice): kept as is, a two-character
 * message could hold a 4 MiB document alive, outside any byte count.
 */
function own(s: string): string {
  return s.length < 13 ? s : `${s} `.slice(0, -1);
}

interface Room {
  readonly name: string;
  /** The id before the room's first message. */
  readonly base: number;
  lastId: number;
  /** Kept messages are `messages[head..]`; the prefix is compacted away now and then. */
  messages: ChatMessage[];
  head: number;
  readonly subscribers: Set<(m: ChatMessage) => void>;
}

/** createMemoryBroker returns the embedded in-memory broker. */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): MemoryBroker {
  const historyLimit = options.historyLimit ?? 1000;
  const subscriberBuffer = options.subscriberBuffer ?? 256;
  const maxRooms = options.maxRooms ?? 10_000;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const idBase = options.idBase;
  // Both maps iterate least recently used first (a use re-inserts the room). `stocked`
  // holds only rooms with messages, so eviction finds its victim at the front.
  const rooms = new Map<string, Room>();
  const stocked = new Map<string, Room>();
  let bytes = 0;
  let count = 0;

  const touch = (r: Room): void => {
    rooms.delete(r.name);
    rooms.set(r.name, r);
    if (stocked.delete(r.name)) stocked.set(r.name, r);
  };

  const dropOldest = (r: Room): void => {
    const m = r.messages[r.head]!;
    r.messages[r.head++] = undefined as unknown as ChatMessage;
    bytes -= messageBytes(m);
    count--;
    if (r.head === r.messages.length) {
      r.messages = [];
      r.head = 0;
      stocked.delete(r.name);
    } else if (r.head >= 1024 && r.head * 2 >= r.messages.length) {
      r.messages = r.messages.slice(r.head);
      r.head = 0;
    }
  };

  const forget = (r: Room): void => {
    while (r.head < r.messages.length) dropOldest(r);
    rooms.delete(r.name);
  };

  const room = (name: string): Room => {
    let r = rooms.get(name);
    if (r !== undefined) {
      touch(r);
      return r;
    }
    if (rooms.size >= maxRooms) {
      for (const old of rooms.values()) {
        if (old.subscribers.size === 0) {
          forget(old);
          break;
        }
      }
    }
    const base = idBase ?? Date.now() * 1000;
    r = { name: own(name), base, lastId: base, messages: [], head: 0, subscribers: new Set() };
    rooms.set(r.name, r);
    return r;
  };

  return {
    async publish(message) {
      const r = room(message.room);
      const stored: ChatMessage = {
        id: ++r.lastId,
        room: r.name,
        nick: own(message.nick),
        text: own(message.text),
        at: message.at,
      };
      if (r.head === r.messages.length) stocked.set(r.name, r);
      r.messages.push(stored);
      bytes += messageBytes(stored);
      count++;
      if (r.messages.length - r.head > historyLimit) dropOldest(r);
      // Least recently used rooms first; this room is the most recent, so it gives up
      // its own oldest messages only when every other room is empty.
      while (bytes > maxBytes && stocked.size > 0) dropOldest(stocked.values().next().value as Room);
      for (const deliver of r.subscribers) deliver(stored);
      return stored;
    },
    async history(name, afterId, limit) {
      const r = rooms.get(name);
      if (r === undefined) return [];
      touch(r);
      if (r.head === r.messages.length) return [];
      // Ids are consecutive from the oldest kept message, so the start is an index.
      const first = r.messages[r.head]!.id;
      const from = r.head + Math.max(0, Math.min(afterId - first + 1, r.messages.length - r.head));
      return r.messages.slice(from, Math.min(r.messages.length, from + limit));
    },
    subscribe(name, opts = {}) {
      const r = room(name);
      const afterId = opts.afterId;
      // Snapshot and live feed are taken in the same turn: nothing falls between them.
      const replay = afterId === undefined ? [] : resumable(r, afterId, historyLimit);
      const deliver = (m: ChatMessage): void => {
        if (queue.size < subscriberBuffer) {
          queue.push(m);
          return;
        }
        r.subscribers.delete(deliver);
        queue.end(
          new RpcError(Code.EventsLost, `chat: subscriber fell ${subscriberBuffer} messages behind`, {
            data: { reason: 'overflow' },
          }),
        );
      };
      const queue = createQueue<ChatMessage>({
        capacity: subscriberBuffer + 1,
        onClose: () => r.subscribers.delete(deliver),
      });
      r.subscribers.add(deliver);
      const signal = opts.signal;
      if (signal !== undefined) {
        const stop = (): void => {
          r.subscribers.delete(deliver);
          queue.end();
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      }
      return replay.length === 0 ? queue : replayThenLive(replay, queue);
    },
    stats() {
      return { rooms: rooms.size, messages: count, bytes };
    },
  };
}

// The stored messages after `afterId` (0: from the room's first), or EventsLost when
// some of them are gone — or were never this room's (an id from before a restart).
function resumable(r: Room, afterId: number, historyLimit: number): ChatMessage[] {
  const kept = r.messages.length > historyLimit ? r.messages.slice(-historyLimit) : r.messages;
  const oldest = kept[0]?.id ?? r.lastId + 1;
  const after = afterId === 0 ? r.base : afterId;
  if (after > r.lastId || after < oldest - 1) {
    throw new RpcError(
      Code.EventsLost,
      `chat: messages after id ${afterId} are no longer kept (oldest kept ${oldest}, last ${r.lastId})`,
      { data: { reason: 'trimmed', afterId } },
    );
  }
  return kept.filter((m) => m.id > after);
}

async function* replayThenLive(
  replay: readonly ChatMessage[],
  live: AsyncIterableIterator<ChatMessage>,
): AsyncGenerator<ChatMessage> {
  let last = 0;
  try {
    for (const m of replay) {
      last = m.id;
      yield m;
    }
    for await (const m of live) if (m.id > last) yield m; // drop what the replay delivered
  } finally {
    await live.return?.();
  }
}
