/**
 * The Redis side of the Redis chat broker: key names, the append script, and the
 * decoding of stream entries. One stream per room (`<prefix>{<room>}`) whose entry
 * ids are `<message id>-0`, and one counter per room (`<prefix>{<room>}:seq`); the
 * braces keep both keys in one Redis Cluster slot.
 *
 * Exports: StoreKeys, keysOf, APPEND_SCRIPT, RESUME_SCRIPT, entryToMessage,
 * unavailable, isUnavailable.
 * @internal
 */
import { Code, RpcError } from '../rpc/errors.js';
import type { ChatMessage } from './broker.js';

/** StoreKeys are the two keys of one room. @internal */
export interface StoreKeys {
  readonly stream: string;
  readonly seq: string;
}

/** keysOf names a room's stream and counter under a prefix. @internal */
export function keysOf(prefix: string, room: string): StoreKeys {
  const stream = `${prefix}{${room}}`;
  return { stream, seq: `${stream}:seq` };
}

/**
 * APPEND_SCRIPT takes the room's next id and appends the message under it, in one
 * step: ids are handed out in stream order on every instance. KEYS: stream, counter.
 * ARGV: approximate MAXLEN, nick, text, at (ms). Returns the id.
 * @internal
 */
export const APPEND_SCRIPT = `local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id .. '-0', 'n', ARGV[2], 't', ARGV[3], 'a', ARGV[4])
return id`;

/**
 * RESUME_SCRIPT reads, in one step, what a subscriber starting after an id needs: the
 * room's last id, the oldest id kept ('' when none) and the first page of entries
 * after it. KEYS: stream, counter. ARGV: the first id wanted, page size.
 * @internal
 */
export const RESUME_SCRIPT = `local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local oldest = ''
if first[1] then oldest = first[1][1] end
local page = {}
if tonumber(ARGV[1]) <= seq then page = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2]) end
return {seq, oldest, page}`;

/** RawEntry is one stream entry as Redis replies it: `[id, [field, value, …]]`. @internal */
export type RawEntry = [string, string[]];

/** idOf reads the message id of a stream entry id (`<id>-0`). @internal */
export function idOf(entryId: string): number {
  const dash = entryId.indexOf('-');
  return Number(dash < 0 ? entryId : entryId.slice(0, dash));
}

/** entryToMessage decodes a stream entry of a room into a message. @internal */
export function entryToMessage(room: string, entry: RawEntry): ChatMessage {
  const [entryId, fields] = entry;
  let nick = '';
  let text = '';
  let at = 0;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const v = fields[i + 1]!;
    switch (fields[i]) {
      case 'n':
        nick = v;
        break;
      case 't':
        text = v;
        break;
      case 'a':
        at = Number(v);
        break;
    }
  }
  return { id: idOf(entryId), room, nick, text, at: new Date(Number.isFinite(at) ? at : 0) };
}

/** unavailable is the error a chat call gets while Redis cannot be reached. @internal */
export function unavailable(cause: unknown): RpcError {
  return new RpcError(Code.Unavailable, 'chat: the message store (Redis) is unavailable; try again shortly', {
    cause,
  });
}

/**
 * isUnavailable tells a lost, refused or timed-out connection from an error Redis
 * replied with (a bug or a misconfiguration, which stays an internal error).
 * @internal
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; message?: unknown } | null;
  if (typeof e?.name !== 'string') return false;
  if (!/ErrorReply|SimpleError|BlobError/.test(e.name)) return true;
  // Replies that mean "not now": a restarted Redis loading its data, a busy script, a replica.
  return (
    typeof e.message === 'string' &&
    /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)/.test(e.message)
  );
}
