import { describe, expect, it } from 'vitest';
import { createMemoryBroker, DEFAULT_MAX_BYTES, messageBytes } from '../../src/demo/broker.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { createQueue } from '../../src/rpc/queue.js';

const msg = (room: string, text: string) => ({ room, text, nick: 'n', at: new Date(0) });

describe('memory broker', () => {
  it('numbers messages per room and serves history after an id, oldest first, up to a limit', async () => {
    const b = createMemoryBroker({ idBase: 0 });
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
    const b = createMemoryBroker({ idBase: 0, historyLimit: 5 });
    for (let i = 0; i < 23; i++) await b.publish(msg('r', `m${i}`));
    const kept = await b.history('r', 0, 100);
    expect(kept.map((m) => m.id)).toEqual([19, 20, 21, 22, 23]);
  });

  it('a slow subscriber gets its buffered messages, then EventsLost (overflow), never a silent gap', async () => {
    const b = createMemoryBroker({ idBase: 0, subscriberBuffer: 3 });
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
    const b = createMemoryBroker({ idBase: 0 });
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
    const b = createMemoryBroker({ idBase: 0, historyLimit: 5 });
    for (let i = 1; i <= 20; i++) await b.publish(msg('r', `m${i}`));
    const trimmed = (() => {
      try {
        b.subscribe('r', { afterId: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect((trimmed as RpcError).code).toBe(Code.EventsLost);
    const fresh = createMemoryBroker({ idBase: 0 });
    expect(() => fresh.subscribe('r', { afterId: 7 })).toThrow(/no longer kept/);
    expect(() => b.subscribe('r', { afterId: 15 })).not.toThrow();
  });

  it('by default a room numbers from the time it is made: a restarted broker never reuses an id', async () => {
    const before = Date.now() * 1000;
    const old = createMemoryBroker();
    for (let i = 1; i <= 60; i++) await old.publish(msg('r', `old ${i}`));
    const last = (await old.history('r', 0, 1000)).at(-1)!.id;
    expect(last).toBeGreaterThan(before);
    expect(Number.isSafeInteger(last)).toBe(true);
    // The "restarted" broker already has more messages than the old one had.
    await new Promise((r) => setTimeout(r, 2));
    const restarted = createMemoryBroker();
    for (let i = 1; i <= 100; i++) await restarted.publish(msg('r', `new ${i}`));
    const ids = (await restarted.history('r', 0, 1000)).map((m) => m.id);
    expect(ids[0]).toBeGreaterThan(last);
    expect(ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1)).toBe(true);
    // Resuming after the old id is the gap signal, not 40 other messages.
    let lost: unknown;
    try {
      restarted.subscribe('r', { afterId: last - 40 });
    } catch (e) {
      lost = e;
    }
    expect((lost as RpcError).code).toBe(Code.EventsLost);
    // afterId 0 still means "from the room's first message".
    const all = restarted.subscribe('r', { afterId: 0 })[Symbol.asyncIterator]();
    expect((await all.next()).value?.text).toBe('new 1');
    await all.return?.();
  });

  it('abort removes the subscriber', async () => {
    const b = createMemoryBroker({ idBase: 0 });
    const ac = new AbortController();
    const it = b.subscribe('r', { signal: ac.signal })[Symbol.asyncIterator]();
    const pending = it.next();
    ac.abort();
    expect((await pending).done).toBe(true);
  });
});

describe('memory broker byte budget', () => {
  const big = (i: number): string => `${i}`.padEnd(4096, 'm');

  it('holds the accounted bytes under the budget, evicting the least recently used rooms first', async () => {
    const maxBytes = 200_000; // about 24 messages of 4096 characters
    const b = createMemoryBroker({ idBase: 0, maxBytes });
    for (let i = 0; i < 2000; i++) {
      await b.publish(msg(`room${i % 70}`, big(i)));
      expect(b.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const { bytes, messages } = b.stats();
    expect(messages).toBe(Math.floor(maxBytes / messageBytes({ text: big(0), nick: 'n' })));
    expect(bytes).toBe(messages * messageBytes({ text: big(0), nick: 'n' }));
    // The newest messages survive: the last `messages` published, one per room (fewer than 70).
    for (let i = 2000 - messages; i < 2000; i++) {
      const kept = await b.history(`room${i % 70}`, 0, 100);
      expect(kept.map((m) => Number.parseInt(m.text, 10))).toEqual([i]);
    }
    expect(await b.history(`room${(1999 - messages) % 70}`, 0, 100)).toEqual([]);
  });

  it('answers history with what it still has, and ids keep increasing after eviction', async () => {
    const b = createMemoryBroker({ idBase: 0, maxBytes: 10 * messageBytes({ text: big(0), nick: 'n' }) });
    for (let i = 1; i <= 25; i++) await b.publish(msg('solo', big(i)));
    const kept = await b.history('solo', 0, 1000);
    expect(kept.map((m) => m.id)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect((await b.history('solo', 20, 2)).map((m) => m.id)).toEqual([21, 22]);
    expect((await b.publish(msg('solo', 'next'))).id).toBe(26);
  });

  it('a room read with history counts as used and outlives rooms that were not', async () => {
    const one = messageBytes({ text: big(0), nick: 'n' });
    const b = createMemoryBroker({ idBase: 0, maxBytes: 3 * one });
    await b.publish(msg('a', big(1)));
    await b.publish(msg('b', big(2)));
    await b.publish(msg('c', big(3)));
    await b.history('a', 0, 1); // now b is the least recently used
    await b.publish(msg('d', big(4)));
    expect(await b.history('b', 0, 10)).toEqual([]);
    expect((await b.history('a', 0, 10)).map((m) => m.text)).toEqual([big(1)]);
  });

  it('the default budget (64 MiB) holds against the issue load: 700 rooms of 4096-character texts', async () => {
    const b = createMemoryBroker({ idBase: 0 });
    const one = messageBytes({ text: big(0), nick: 'n' });
    const n = Math.ceil((DEFAULT_MAX_BYTES * 1.5) / one);
    for (let i = 0; i < n; i++) await b.publish(msg(`r${i % 700}`, big(i)));
    expect(b.stats().bytes).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    expect(b.stats().messages).toBe(Math.floor(DEFAULT_MAX_BYTES / one));
    expect(Number.parseInt((await b.history(`r${(n - 1) % 700}`, 0, 1000)).at(-1)!.text, 10)).toBe(n - 1);
  }, 20_000);
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
