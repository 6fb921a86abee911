/**
 * RoomReader is the one blocking read loop of a process: XREAD BLOCK, on its own
 * connection, over every room with a local subscriber, fanning each new entry out to
 * them. It remembers where it is in each room, so after a lost connection it goes on
 * from there: nothing Redis kept is skipped.
 *
 * Exports: RoomReader, Deliver.
 * @internal
 */
import type { RedisClientType } from 'redis';
import { Code, RpcError } from '../rpc/errors.js';
import type { ChatMessage } from './broker.js';
import { entryToMessage, type RawEntry } from './redis-store.js';

/** Deliver hands a subscriber a message, the error that ends it, or `null` (the broker closed). @internal */
export type Deliver = (m: ChatMessage | RpcError | null) => void;

interface Room {
  readonly name: string;
  readonly key: string;
  /** The id of the last message read; undefined until a subscriber tells where to start. */
  position: number | undefined;
  readonly subscribers: Set<Deliver>;
}

const BLOCK_MS = 2000;
const COUNT = 1000;
const RETRY_MS = 250;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** RoomReader owns the read loop. @internal */
export class RoomReader {
  private readonly rooms = new Map<string, Room>();
  private readonly byKey = new Map<string, Room>();
  private closed = false;
  /** Set when the rooms read changed since the XREAD in flight was sent. */
  private dirty = false;
  private blocked = false;
  private readerId: number | undefined;
  /** After a lost connection: check each room still has what we read (Redis may have lost it). */
  private recheck = false;
  private wakeIdle: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly reader: RedisClientType,
    private readonly commands: RedisClientType,
    private readonly keyOf: (room: string) => string,
  ) {
    this.done = this.loop();
  }

  /**
   * join adds a subscriber to a room. It receives every message the loop reads after
   * the room's position once `start` was called (by it or an earlier subscriber).
   */
  join(
    name: string,
    deliver: Deliver,
  ): { readonly position: number | undefined; start(lastId: number): number; leave(): void } {
    let room = this.rooms.get(name);
    if (room === undefined) {
      room = { name, key: this.keyOf(name), position: undefined, subscribers: new Set() };
      this.rooms.set(name, room);
      this.byKey.set(room.key, room);
    }
    const r = room;
    r.subscribers.add(deliver);
    return {
      position: r.position,
      start: (lastId) => {
        if (r.position === undefined && r.subscribers.has(deliver)) {
          r.position = lastId;
          this.changed();
        }
        return r.position ?? lastId;
      },
      leave: () => {
        if (!r.subscribers.delete(deliver) || r.subscribers.size > 0) return;
        if (this.rooms.get(r.name) === r) {
          this.rooms.delete(r.name);
          this.byKey.delete(r.key);
        }
      },
    };
  }

  /** close stops the loop and ends every subscriber's stream. */
  async close(): Promise<void> {
    this.closed = true;
    this.changed();
    for (const r of this.rooms.values()) for (const d of [...r.subscribers]) d(null);
    this.rooms.clear();
    this.byKey.clear();
    if (this.reader.isOpen) this.reader.destroy(); // rejects the XREAD in flight
    await this.done;
  }

  // The rooms read changed: wake the loop, whether idle or blocked in XREAD.
  private changed(): void {
    this.dirty = true;
    const idle = this.wakeIdle;
    this.wakeIdle = undefined;
    idle?.();
    if (this.blocked) void this.unblock();
  }

  // CLIENT UNBLOCK from the command connection; retried while the XREAD has not reached
  // Redis yet (it answers 0 then), so a new room never waits out the block timeout.
  private async unblock(): Promise<void> {
    for (let i = 0; i < 20 && this.blocked && this.dirty && !this.closed; i++) {
      const id = this.readerId;
      if (id === undefined) return;
      const n = await this.commands.sendCommand<number>(['CLIENT', 'UNBLOCK', String(id)]).catch(() => -1);
      if (n !== 0) return;
      await sleep(5);
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const active = [...this.rooms.values()].filter((r) => r.position !== undefined);
      this.dirty = false;
      if (active.length === 0) {
        await new Promise<void>((r) => {
          this.wakeIdle = r;
        });
        continue;
      }
      try {
        if (this.readerId === undefined)
          this.readerId = await this.reader.sendCommand<number>(['CLIENT', 'ID']);
        if (this.recheck) await this.checkKept(active);
        const args = ['XREAD', 'COUNT', String(COUNT), 'BLOCK', String(BLOCK_MS), 'STREAMS'];
        for (const r of active) args.push(r.key);
        for (const r of active) args.push(`${r.position}-0`);
        this.blocked = true;
        if (this.dirty) void this.unblock(); // a room came while CLIENT ID was in flight
        const reply = await this.reader.sendCommand<[string, RawEntry[]][] | null>(args);
        this.blocked = false;
        if (reply !== null) for (const [key, entries] of reply) this.fanOut(key, entries);
      } catch {
        this.blocked = false;
        if (this.closed) break;
        this.readerId = undefined;
        this.recheck = true;
        await sleep(RETRY_MS);
      }
    }
  }

  private fanOut(key: string, entries: RawEntry[]): void {
    const r = this.byKey.get(key);
    if (r === undefined || r.position === undefined) return;
    for (const e of entries) {
      const m = entryToMessage(r.name, e);
      if (m.id <= r.position) continue;
      if (m.id !== r.position + 1) {
        // The loop fell behind a trim (ids are consecutive): say so, never skip silently.
        this.lose(r, `chat: messages of room after id ${r.position} were trimmed before they were read`);
        return;
      }
      r.position = m.id;
      for (const d of r.subscribers) d(m);
    }
  }

  // After a reconnect: a room whose counter went back lost its messages with Redis
  // (restarted without persistence); its subscribers are told, not left waiting.
  private async checkKept(active: readonly Room[]): Promise<void> {
    for (const r of active) {
      const seq = Number((await this.commands.sendCommand<string | null>(['GET', `${r.key}:seq`])) ?? 0);
      if (r.position !== undefined && seq < r.position) {
        this.lose(
          r,
          `chat: Redis no longer has the messages of room after id ${seq} (it restarted without them)`,
        );
      }
    }
    this.recheck = false;
  }

  private lose(r: Room, message: string): void {
    const err = new RpcError(Code.EventsLost, message, { data: { reason: 'trimmed', afterId: r.position } });
    for (const d of [...r.subscribers]) d(err);
  }
}
