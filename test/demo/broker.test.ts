import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../../src/demo/broker.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { createQueue } from '../../src/rpc/queue.js';

const msg = (room: string, text: string) => ({ room, text, nick: 'n', at: new Date(0) });

describe('memory broker', () => {
  it('numbers messages per room and serves history after an id, oldest first, up to a limit', async () => {
    const b = createMemoryBroker();
    for (const t of ['a', 'b', 'c']) await b.publish(msg('r1', t));
    await b.publish(msg('r2', 'x'));
    expect((await b.history('r1', 0, 100)).map((m) => [m.id, m.text])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect((await b.history('r1', 1, 1)).map((m) => m.id)).toEqual([2]);
    expect((await b.history('r2', 0, 10)).map((m) => m.id)).toEqual([1]);
    expect(await b.history('none', 0, 10)).toEqual([]);
  });

  it('keeps a bounded history per room', async () => {
    const b = createMemoryBroker({ historyLimit: 5 });
    for (let i = 0; i < 23; i++) await b.publish(msg('r', `m${i}`));
    const kept = await b.history('r', 0, 100);
    expect(kept.map((m) => m.id)).toEqual([19, 20, 21, 22, 23]);
  });

  it('a slow subscriber gets its buffered messages, then EventsLost (overflow), never a silent gap', async () => {
    const b = createMemoryBroker({ subscriberBuffer: 3 });
    const ac = new AbortController();
    const sub = b.subscribe('r', { signal: ac.signal })[Symbol.asyncIterator]();
    for (let i = 1; i <= 10; i++) await b.publish(msg('r', `m${i}`));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(((await sub.next()).value as { text: string }).text);
    expect(got).toEqual(['m1', 'm2', 'm3']);
    const err = await sub.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.EventsLost);
    expect((err as RpcError).data).toEqual({ reason: 'overflow' });
    // Resuming from the last id delivered misses nothing.
    const resumed = b.subscribe('r', { signal: ac.signal, afterId: 3 })[Symbol.asyncIterator]();
    const rest: number[] = [];
    for (let i = 0; i < 7; i++) rest.push(((await resumed.next()).value as { id: number }).id);
    expect(rest).toEqual([4, 5, 6, 7, 8, 9, 10]);
    ac.abort();
  });

  it('afterId replays the stored messages, then live ones, each once and in order', async () => {
    const b = createMemoryBroker();
    for (let i = 1; i <= 5; i++) await b.publish(msg('r', `m${i}`));
    const ac = new AbortController();
    const sub = b.subscribe('r', { signal: ac.signal, afterId: 2 })[Symbol.asyncIterator]();
    await b.publish(msg('r', 'm6'));
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(((await sub.next()).value as { id: number }).id);
    expect(ids).toEqual([3, 4, 5, 6]);
    ac.abort();
    expect((await sub.next()).done).toBe(true);
  });

  it('afterId older than the kept history, or newer than the room (a restarted broker), is EventsLost', async () => {
    const b = createMemoryBroker({ historyLimit: 5 });
    for (let i = 1; i <= 20; i++) await b.publish(msg('r', `m${i}`));
    const trimmed = (() => {
      try {
        b.subscribe('r', { afterId: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect((trimmed as RpcError).code).toBe(Code.EventsLost);
    const fresh = createMemoryBroker();
    expect(() => fresh.subscribe('r', { afterId: 7 })).toThrow(/no longer kept/);
    expect(() => b.subscribe('r', { afterId: 15 })).not.toThrow();
  });

  it('abort removes the subscriber', async () => {
    const b = createMemoryBroker();
    const ac = new AbortController();
    const it = b.subscribe('r', { signal: ac.signal })[Symbol.asyncIterator]();
    const pending = it.next();
    ac.abort();
    expect((await pending).done).toBe(true);
  });
});

describe('queue', () => {
  it('delivers in order, ends after buffered items, and rethrows an end error', async () => {
    const q = createQueue<number>();
    q.push(1);
    q.push(2);
    q.end(new Error('stop'));
    expect(await q.next()).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    await expect(q.next()).rejects.toThrow('stop');
    expect(q.push(3)).toBe(false);
  });

  it('return() closes it and calls onClose once', async () => {
    let closes = 0;
    const q = createQueue<number>({ onClose: () => closes++ });
    const waiting = q.next();
    await q.return();
    expect((await waiting).done).toBe(true);
    await q.return();
    expect(closes).toBe(1);
  });
});
