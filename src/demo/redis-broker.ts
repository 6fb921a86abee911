/**
 * The chat {@link Broker} on Redis Streams: rooms shared by every polyrpc process that
 * uses the same Redis, kept across restarts as long as Redis keeps them. See
 * docs/scaling.md.
 *
 * Exports: createRedisBroker, RedisBroker, RedisBrokerOptions, redactUrl.
 */
import { createClient, type RedisClientType } from 'redis';
import { Code, RpcError } from '../rpc/errors.js';
import { createQueue, type Queue } from '../rpc/queue.js';
import type { Broker, ChatMessage } from './broker.js';
import { type Deliver, RoomReader } from './redis-reader.js';
import {
  APPEND_SCRIPT,
  entryToMessage,
  idOf,
  isUnavailable,
  keysOf,
  type RawEntry,
  RESUME_SCRIPT,
  unavailable,
} from './redis-store.js';

/** RedisBrokerOptions configure {@link createRedisBroker}. */
export interface RedisBrokerOptions {
  /** The Redis URL, `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  /**
   * Messages kept per room: each append trims the room's stream with `MAXLEN ~`, so
   * Redis keeps at least this many and a little more (up to one stream node, 100
   * entries by default). Defaults to 1000.
   */
  readonly historyLength?: number;
  /** Messages queued per local subscriber before its stream ends with `Code.EventsLost`. Defaults to 256. */
  readonly subscriberBuffer?: number;
  /** Prefix of every key the broker writes. Defaults to `polyrpc:chat:`. */
  readonly keyPrefix?: string;
  /**
   * How long a `chat.send` or `chat.history` waits for Redis before failing with
   * `Code.Unavailable`, in ms. Defaults to 2000.
   */
  readonly commandTimeoutMs?: number;
}

/**
 * RedisBroker is a {@link Broker} whose rooms live in Redis. While Redis cannot be
 * reached, publish and history fail at once with `RpcError` `Code.Unavailable`;
 * live subscriptions wait and continue from where they were when it is back.
 */
export interface RedisBroker extends Broker {
  /** The URL it uses, with any password replaced by `***`. */
  readonly url: string;
  /** close ends every local subscription and closes both Redis connections. */
  close(): Promise<void>;
}

/** redactUrl returns `url` with any password replaced by `***`, for logs and listener lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

const PAGE = 500;

/**
 * createRedisBroker connects to Redis and returns the broker once both its
 * connections (commands, and the one blocking read loop) are ready.
 * @throws Error with a one-line message when Redis cannot be reached at start.
 */
export async function createRedisBroker(options: RedisBrokerOptions): Promise<RedisBroker> {
  const historyLength = options.historyLength ?? 1000;
  const subscriberBuffer = options.subscriberBuffer ?? 256;
  const prefix = options.keyPrefix ?? 'polyrpc:chat:';
  const timeout = options.commandTimeoutMs ?? 2000;
  const shown = redactUrl(options.url);
  let started = false;
  const client: RedisClientType = createClient({
    url: options.url,
    disableOfflineQueue: true, // fail fast while Redis is away, never pile up calls
    commandOptions: { timeout },
    socket: {
      connectTimeout: timeout,
      // At start one failure is final (one clear line); later, retry with backoff.
      reconnectStrategy: (retries, cause) => (started ? Math.min(50 * 2 ** retries, 2000) : cause),
    },
  }) as RedisClientType;
  client.on('error', () => {}); // failures reach the callers; the client reconnects by itself
  try {
    await client.connect();
  } catch (err) {
    drop(client);
    throw new Error(`chat: cannot reach Redis at ${shown}: ${reason(err)}`);
  }
  const readerClient = client.duplicate({ commandOptions: {} }) as RedisClientType;
  readerClient.on('error', () => {});
  try {
    await readerClient.connect();
  } catch (err) {
    drop(client);
    drop(readerClient);
    throw new Error(`chat: cannot reach Redis at ${shown}: ${reason(err)}`);
  }
  started = true;

  const run = async <T>(args: string[]): Promise<T> => {
    try {
      return await client.sendCommand<T>(args);
    } catch (err) {
      throw isUnavailable(err) ? unavailable(err) : err;
    }
  };
  const script = (body: string, keys: readonly string[], argv: readonly string[]) =>
    run<unknown>(['EVAL', body, String(keys.length), ...keys, ...argv]);

  const reader = new RoomReader(readerClient, client, (room) => keysOf(prefix, room).stream);

  return {
    url: shown,
    async publish(message) {
      const k = keysOf(prefix, message.room);
      const at = message.at.getTime();
      const id = Number(
        await script(
          APPEND_SCRIPT,
          [k.stream, k.seq],
          [String(historyLength), message.nick, message.text, String(at)],
        ),
      );
      return { id, room: message.room, nick: message.nick, text: message.text, at: new Date(at) };
    },
    async history(room, afterId, limit) {
      const entries = await run<RawEntry[]>([
        'XRANGE',
        keysOf(prefix, room).stream,
        `${afterId + 1}-0`,
        '+',
        'COUNT',
        String(limit),
      ]);
      return entries.map((e) => entryToMessage(room, e));
    },
    subscribe(room, opts = {}) {
      const queue = createQueue<ChatMessage>({ capacity: subscriberBuffer + 1, onClose: () => leave() });
      const deliver: Deliver = (m) => {
        if (m === null) {
          leave();
          queue.end();
        } else if (m instanceof RpcError) {
          leave();
          queue.end(m);
        } else if (queue.size < subscriberBuffer) {
          queue.push(m);
        } else {
          leave();
          queue.end(
            new RpcError(Code.EventsLost, `chat: subscriber fell ${subscriberBuffer} messages behind`, {
              data: { reason: 'overflow' },
            }),
          );
        }
      };
      // Joined now, before anything is read: every message past the reader's position
      // reaches the queue, and the replay below covers everything up to it.
      const joined = reader.join(room, deliver);
      const leave = (): void => joined.leave();
      const signal = opts.signal;
      if (signal !== undefined) {
        const stop = (): void => {
          leave();
          queue.end();
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      }
      // Read where to start now, not on the first pull: by the time the subscriber has its
      // reply, Redis has answered this, so a message sent after that reply is live.
      const k = keysOf(prefix, room);
      const first = opts.afterId === undefined ? Number.MAX_SAFE_INTEGER : opts.afterId + 1;
      const resume = script(
        RESUME_SCRIPT,
        [k.stream, k.seq],
        [String(first), String(PAGE)],
      ) as Promise<Resume>;
      resume.catch(() => {}); // the generator rethrows it on its first pull
      const more = (from: number, to: number) =>
        run<RawEntry[]>(['XRANGE', k.stream, `${from}-0`, `${to}-0`, 'COUNT', String(PAGE)]);
      return thenLive(replay(room, opts.afterId, resume, joined, more), queue);
    },
    async close() {
      await reader.close();
      drop(readerClient);
      await client.close().catch(() => drop(client));
    },
  };
}

/** What RESUME_SCRIPT answers: the room's last id, the oldest entry id kept ('' for none), a first page. */
type Resume = [number, string, RawEntry[]];

interface Joined {
  /** The reader's position in the room when the subscriber joined, if it read the room already. */
  readonly position: number | undefined;
  /** start gives the reader the room's last id when it does not read the room yet; returns its position. */
  start(lastId: number): number;
  leave(): void;
}

// The stored messages after `afterId` (checked: none of them trimmed), in order; returns
// the last id replayed. Without `afterId` it starts where the reader was when it joined,
// or after the room's last message. `more(from, to)` reads a page.
async function* replay(
  room: string,
  requested: number | undefined,
  resume: Promise<Resume>,
  joined: Joined,
  more: (from: number, to: number) => Promise<RawEntry[]>,
): AsyncGenerator<ChatMessage, number> {
  const [seq, oldestEntry, page] = await resume;
  const afterId = requested ?? joined.position ?? seq;
  if (requested !== undefined) {
    const oldest = oldestEntry === '' ? seq + 1 : idOf(oldestEntry);
    if (afterId > seq || afterId < oldest - 1) {
      throw new RpcError(
        Code.EventsLost,
        `chat: messages after id ${afterId} are no longer kept (oldest kept ${oldest}, last ${seq})`,
        { data: { reason: 'trimmed', afterId } },
      );
    }
  }
  // Everything up to `until` comes from the stream; the reader delivers what follows.
  const until = Math.max(seq, joined.start(seq));
  let last = afterId;
  let entries = requested === undefined ? [] : page;
  while (last < until) {
    for (const e of entries) {
      const m = entryToMessage(room, e);
      if (m.id <= last) continue;
      if (m.id !== last + 1) throw trimmedDuringReplay(last);
      last = m.id;
      yield m;
      if (last >= until) break;
    }
    if (last >= until) break;
    entries = await more(last + 1, until);
    if (entries.length === 0) throw trimmedDuringReplay(last);
  }
  return last;
}

// The replay, then the live queue without what the replay delivered. Once past the
// replay, next() is the queue's own next(): no generator hop per delivered message.
function thenLive(
  replayed: AsyncGenerator<ChatMessage, number>,
  live: Queue<ChatMessage>,
): AsyncIterableIterator<ChatMessage> {
  let phase: 'replay' | 'overlap' | 'live' = 'replay';
  let last = 0;
  const step = async (): Promise<IteratorResult<ChatMessage>> => {
    try {
      if (phase === 'replay') {
        const r = await replayed.next();
        if (!r.done) return r;
        last = r.value;
        phase = 'overlap';
      }
      for (;;) {
        const r = await live.next();
        if (r.done || r.value.id > last) {
          phase = 'live';
          return r;
        }
      }
    } catch (err) {
      await live.return();
      throw err;
    }
  };
  const it: AsyncIterableIterator<ChatMessage> = {
    next: () => (phase === 'live' ? live.next() : step()),
    return() {
      // Not awaited: a replay page may still be on its way; the queue ends now.
      replayed.return(0).catch(() => {});
      return live.return();
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

function trimmedDuringReplay(last: number): RpcError {
  return new RpcError(Code.EventsLost, `chat: messages after id ${last} were trimmed while being replayed`, {
    data: { reason: 'trimmed', afterId: last },
  });
}

// destroy, for a client that may be closed already (a failed connect closes it).
function drop(c: RedisClientType): void {
  if (c.isOpen) c.destroy();
}

function reason(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; errors?: unknown };
  if (Array.isArray(e.errors) && e.errors.length > 0) return reason(e.errors[0]);
  const m = typeof e.message === 'string' && e.message !== '' ? e.message : String(e.code ?? err);
  return m.split('\n')[0]!;
}
