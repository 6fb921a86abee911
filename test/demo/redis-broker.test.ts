import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/demo/broker.js';
import { createRedisBroker, type RedisBroker, redactUrl } from '../../src/demo/redis-broker.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { freePort, type RunningRedis, redisMissing, startRedis } from '../support/redis.js';

const msg = (room: string, text: string) => ({ room, text, nick: 'n', at: new Date(1_700_000_000_123) });

describe.skipIf(redisMissing !== undefined)(
  `redis broker${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  () => {
    let redis: RunningRedis;
    const brokers: RedisBroker[] = [];
    let n = 0;
    const broker = async (o: { historyLength?: number; subscriberBuffer?: number } = {}) => {
      const b = await createRedisBroker({ url: redis.url, keyPrefix: `t${++n}:`, ...o });
      brokers.push(b);
      return b;
    };
    const next = async (it: AsyncIterator<ChatMessage>) => (await it.next()).value as ChatMessage;

    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      for (const b of brokers) await b.close();
      await redis?.stop();
    });

    it('numbers messages per room and serves history after an id, oldest first, up to a limit', async () => {
      const b = await broker();
      for (const t of ['a', 'b', 'c']) await b.publish(msg('r1', t));
      await b.publish(msg('r2', 'x'));
      const h = await b.history('r1', 0, 100);
      expect(h.map((m) => [m.id, m.text])).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
      expect(h[0]).toEqual({ id: 1, room: 'r1', nick: 'n', text: 'a', at: new Date(1_700_000_000_123) });
      expect((await b.history('r1', 1, 1)).map((m) => m.id)).toEqual([2]);
      expect((await b.history('r2', 0, 10)).map((m) => m.id)).toEqual([1]);
      expect(await b.history('none', 0, 10)).toEqual([]);
    });

    it('keeps any text a room may hold, and room names with braces, byte for byte', async () => {
      const b = await broker();
      const text = 'naïve ☃ 𝄞 "quotes" \\ \t\n{}';
      await b.publish({ room: '{x}y', text, nick: 'ñ', at: new Date(0) });
      expect((await b.history('{x}y', 0, 1))[0]).toMatchObject({ id: 1, room: '{x}y', nick: 'ñ', text });
    });

    it('keeps a bounded history per room (MAXLEN ~: at least the length, never everything)', async () => {
      const b = await broker({ historyLength: 5 });
      for (let i = 0; i < 250; i++) await b.publish(msg('r', `m${i}`));
      const kept = (await b.history('r', 0, 1000)).map((m) => m.id);
      expect(kept.length).toBeGreaterThanOrEqual(5);
      expect(kept.length).toBeLessThan(250);
      expect(kept.at(-1)).toBe(250);
      expect(kept).toEqual(kept.map((_, i) => kept[0]! + i)); // consecutive
    });

    it('afterId replays the stored messages, then live ones, each once and in order', async () => {
      const b = await broker();
      for (let i = 1; i <= 5; i++) await b.publish(msg('r', `m${i}`));
      const ac = new AbortController();
      const sub = b.subscribe('r', { signal: ac.signal, afterId: 2 })[Symbol.asyncIterator]();
      const first = sub.next();
      await b.publish(msg('r', 'm6'));
      const ids = [((await first).value as ChatMessage).id];
      for (let i = 0; i < 3; i++) ids.push((await next(sub)).id);
      expect(ids).toEqual([3, 4, 5, 6]);
      ac.abort();
      expect((await sub.next()).done).toBe(true);
    });

    it('a subscriber on one broker receives what another broker publishes, once, in order', async () => {
      const a = await broker();
      const other = await createRedisBroker({ url: redis.url, keyPrefix: `t${n}:` });
      brokers.push(other);
      const ac = new AbortController();
      const sub = a.subscribe('shared', { signal: ac.signal, afterId: 0 })[Symbol.asyncIterator]();
      const first = sub.next();
      for (let i = 1; i <= 50; i++) await (i % 2 ? other : a).publish(msg('shared', `m${i}`));
      const got = [((await first).value as ChatMessage).id];
      for (let i = 1; i < 50; i++) got.push((await next(sub)).id);
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      ac.abort();
    });

    it('without afterId a subscriber starts after the last message', async () => {
      const b = await broker();
      await b.publish(msg('r', 'old'));
      const ac = new AbortController();
      const sub = b.subscribe('r', { signal: ac.signal })[Symbol.asyncIterator]();
      const first = sub.next();
      // The subscription reads its start on the first next(); wait until it is live.
      const probe = b.subscribe('r', { signal: ac.signal, afterId: 1 })[Symbol.asyncIterator]();
      const probed = probe.next();
      await b.publish(msg('r', 'new'));
      expect(((await probed).value as ChatMessage).text).toBe('new');
      expect(((await first).value as ChatMessage).text).toBe('new');
      ac.abort();
    });

    it('a slow subscriber gets its buffered messages, then EventsLost (overflow), never a silent gap', async () => {
      const b = await broker({ subscriberBuffer: 3 });
      const ac = new AbortController();
      const sub = b.subscribe('r', { signal: ac.signal, afterId: 0 })[Symbol.asyncIterator]();
      const first = sub.next();
      await b.publish(msg('r', 'm1'));
      expect(((await first).value as ChatMessage).text).toBe('m1');
      for (let i = 2; i <= 11; i++) await b.publish(msg('r', `m${i}`));
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push((await next(sub)).text);
      expect(got).toEqual(['m2', 'm3', 'm4']);
      const err = await sub.next().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(Code.EventsLost);
      expect((err as RpcError).data).toEqual({ reason: 'overflow' });
      const resumed = b.subscribe('r', { signal: ac.signal, afterId: 4 })[Symbol.asyncIterator]();
      const rest: number[] = [];
      for (let i = 0; i < 7; i++) rest.push((await next(resumed)).id);
      expect(rest).toEqual([5, 6, 7, 8, 9, 10, 11]);
      ac.abort();
    });

    it('afterId older than the kept history, or newer than the room, is EventsLost (trimmed)', async () => {
      const b = await broker({ historyLength: 5 });
      for (let i = 1; i <= 250; i++) await b.publish(msg('r', `m${i}`));
      const oldest = (await b.history('r', 0, 1))[0]!.id;
      const lost = async (afterId: number) =>
        b
          .subscribe('r', { afterId })
          [Symbol.asyncIterator]()
          .next()
          .catch((e: unknown) => e);
      const trimmed = await lost(oldest - 2);
      expect((trimmed as RpcError).code).toBe(Code.EventsLost);
      expect((trimmed as RpcError).data).toEqual({ reason: 'trimmed', afterId: oldest - 2 });
      expect(String((trimmed as RpcError).message)).toMatch(/no longer kept/);
      expect(((await lost(300)) as RpcError).code).toBe(Code.EventsLost);
      const ac = new AbortController();
      const ok = b.subscribe('r', { afterId: oldest - 1, signal: ac.signal })[Symbol.asyncIterator]();
      expect((await next(ok)).id).toBe(oldest);
      ac.abort();
    });

    it('a long replay (more than one page) is complete and goes on live without a gap', async () => {
      const b = await broker({ historyLength: 2000, subscriberBuffer: 2000 });
      for (let i = 1; i <= 1200; i++) await b.publish(msg('r', `m${i}`));
      const ac = new AbortController();
      const sub = b.subscribe('r', { signal: ac.signal, afterId: 10 })[Symbol.asyncIterator]();
      const ids: number[] = [];
      for (let i = 0; i < 1190; i++) {
        ids.push((await next(sub)).id);
        if (i === 100) await b.publish(msg('r', 'live'));
      }
      ids.push((await next(sub)).id);
      expect(ids).toEqual(Array.from({ length: 1191 }, (_, i) => i + 11));
      ac.abort();
    });

    it('abort removes the subscriber; close ends every stream', async () => {
      const b = await createRedisBroker({ url: redis.url, keyPrefix: `t${++n}:` });
      const ac = new AbortController();
      const it1 = b.subscribe('r', { signal: ac.signal })[Symbol.asyncIterator]();
      const p1 = it1.next();
      ac.abort();
      expect((await p1).done).toBe(true);
      const it2 = b.subscribe('r', { afterId: 0 })[Symbol.asyncIterator]();
      const p2 = it2.next();
      await b.close();
      expect((await p2).done).toBe(true);
    });

    it('a Redis that comes back without its data ends live subscriptions with EventsLost, not a silent wait', async () => {
      let own = await startRedis(); // no persistence: a restart empties it
      const b = await createRedisBroker({ url: own.url });
      try {
        const sub = b.subscribe('r', { afterId: 0 })[Symbol.asyncIterator]();
        const first = sub.next();
        for (let i = 1; i <= 3; i++) await b.publish(msg('r', `m${i}`));
        expect(((await first).value as ChatMessage).id).toBe(1);
        expect((await next(sub)).id).toBe(2);
        expect((await next(sub)).id).toBe(3);
        const old = own;
        await old.kill('SIGKILL');
        own = await startRedis({ port: old.port });
        await old.stop(); // removes its directory
        const err = await sub.next().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RpcError);
        expect((err as RpcError).code).toBe(Code.EventsLost);
        expect((err as RpcError).message).toMatch(/no longer has the messages/);
        // The room starts again from 1, and a new subscriber is served.
        const again = b.subscribe('r', { afterId: 0 })[Symbol.asyncIterator]();
        const p = again.next();
        let sent = false;
        for (let i = 0; i < 100 && !sent; i++) {
          sent = await b.publish(msg('r', 'fresh')).then(
            () => true,
            () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
          );
        }
        expect(((await p).value as ChatMessage).text).toBe('fresh');
        await again.return?.();
      } finally {
        await b.close();
        await own.stop();
      }
    }, 30_000);

    it('start-up with an unreachable Redis fails with one clear line, password redacted', async () => {
      const port = await freePort();
      const err = await createRedisBroker({ url: `redis://user:secret@127.0.0.1:${port}` }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const line = (err as Error).message;
      expect(line).toMatch(
        new RegExp(`^chat: cannot reach Redis at redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
      );
      expect(line).not.toContain('secret');
      expect(line).not.toContain('\n');
      expect(redactUrl('redis://:pw@h:1/2')).toBe('redis://:***@h:1/2');
    });
  },
);
