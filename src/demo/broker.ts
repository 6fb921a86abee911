/**
 * Broker is the seam behind the chat rooms: publish, subscribe and history. The
 * embedded default keeps rooms in memory; a Redis-backed broker can implement the
 * same interface.
 */
import { Code, RpcError } from '../rpc/errors.js';
import { createQueue } from '../rpc/queue.js';

/** ChatMessage is one stored message. `id` increases within a room. */
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
   * `afterId`, when given). @throws RpcError `Code.EventsLost` when `afterId` is too old.
   */
  subscribe(room: string, options?: BrokerSubscribeOptions): AsyncIterable<ChatMessage>;
}

/** MemoryBrokerOptions configure {@link createMemoryBroker}. */
export interface MemoryBrokerOptions {
  /** Messages kept per room. Defaults to 1000. */
  readonly historyLimit?: number;
  /** Messages queued per subscriber before its stream ends with `Code.EventsLost`. Defaults to 256. */
  readonly subscriberBuffer?: number;
  /** Rooms kept; the least recently used room is forgotten past this. Defaults to 10000. */
  readonly maxRooms?: number;
}

interface Room {
  lastId: number;
  messages: ChatMessage[];
  readonly subscribers: Set<(m: ChatMessage) => void>;
}

/** createMemoryBroker returns the embedded in-memory broker. */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const historyLimit = options.historyLimit ?? 1000;
  const subscriberBuffer = options.subscriberBuffer ?? 256;
  const maxRooms = options.maxRooms ?? 10_000;
  const rooms = new Map<string, Room>();

  const room = (name: string): Room => {
    let r = rooms.get(name);
    if (r === undefined) {
      if (rooms.size >= maxRooms) {
        for (const [key, old] of rooms) {
          if (old.subscribers.size === 0) {
            rooms.delete(key);
            break;
          }
        }
      }
      r = { lastId: 0, messages: [], subscribers: new Set() };
      rooms.set(name, r);
    }
    return r;
  };

  return {
    async publish(message) {
      const r = room(message.room);
      const stored: ChatMessage = { id: ++r.lastId, ...message };
      r.messages.push(stored);
      if (r.messages.length > historyLimit * 2) r.messages = r.messages.slice(-historyLimit);
      for (const deliver of r.subscribers) deliver(stored);
      return stored;
    },
    async history(name, afterId, limit) {
      const r = rooms.get(name);
      if (r === undefined) return [];
      const kept = r.messages.length > historyLimit ? r.messages.slice(-historyLimit) : r.messages;
      const out: ChatMessage[] = [];
      for (const m of kept) {
        if (m.id > afterId) {
          out.push(m);
          if (out.length >= limit) break;
        }
      }
      return out;
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
  };
}

// The stored messages after `afterId`, or EventsLost when some of them are gone.
function resumable(r: Room, afterId: number, historyLimit: number): ChatMessage[] {
  const kept = r.messages.length > historyLimit ? r.messages.slice(-historyLimit) : r.messages;
  const oldest = kept[0]?.id ?? r.lastId + 1;
  if (afterId > r.lastId || afterId < oldest - 1) {
    throw new RpcError(
      Code.EventsLost,
      `chat: messages after id ${afterId} are no longer kept (oldest kept ${oldest}, last ${r.lastId})`,
      { data: { reason: 'trimmed', afterId } },
    );
  }
  return kept.filter((m) => m.id > afterId);
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
