/**
 * Issue 16: two polyrpc instances sharing one real redis-server. A subscriber on one
 * sees every message sent through the other (XML-RPC, JSON-RPC, msgpack) exactly once
 * in id order; history is the same from both; ids stay unique and increasing under
 * concurrent senders on both; a Redis restart mid-stream costs senders a clear error
 * and subscribers nothing Redis kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoService } from '../../src/demo/index.js';
import { createRedisBroker, type RedisBroker } from '../../src/demo/redis-broker.js';
import { createDemoService } from '../../src/demo/service.js';
import { Code, createClient, RpcError } from '../../src/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { type RunningRedis, redisMissing, startRedis } from '../support/redis.js';

type Rpc = ReturnType<typeof createClient<DemoService>>;

interface Instance {
  readonly broker: RedisBroker;
  readonly server: RpcServer;
  url(protocol: 'xmlrpc' | 'tcp' | 'msgpack'): string;
}

async function instance(redisUrl: string): Promise<Instance> {
  const broker = await createRedisBroker({ url: redisUrl });
  const server = await serve(createDemoService({ broker }), {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    explorer: false,
  });
  const find = (re: RegExp) => server.listeners.find((l) => re.test(l.url))!.url;
  return {
    broker,
    server,
    url: (p) => (p === 'xmlrpc' ? find(/\/RPC2$/) : p === 'tcp' ? find(/^tcp:/) : find(/^msgpack:/)),
  };
}

const clients: Rpc[] = [];
const client = (url: string): Rpc => {
  const c = createClient<DemoService>(url, { timeout: 10_000 });
  clients.push(c);
  return c;
};

async function take(sub: AsyncIterator<{ id: number; text: string }>, n: number) {
  const got: { id: number; text: string }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await sub.next();
    if (r.done) break;
    got.push({ id: r.value.id, text: r.value.text });
  }
  return got;
}

describe.skipIf(redisMissing !== undefined)(
  `two instances on one Redis${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  () => {
    let redis: RunningRedis;
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      redis = await startRedis();
      a = await instance(redis.url);
      b = await instance(redis.url);
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.$close()));
      for (const i of [a, b]) {
        await i?.server.close(0);
        await i?.broker.close();
      }
      await redis?.stop();
    });

    it('a subscriber on A gets each message sent through B over every protocol, once, in id order', async () => {
      const sub = client(a.url('tcp')).chat.subscribe('lobby', 0);
      await sub.ready;
      const senders = (['xmlrpc', 'tcp', 'msgpack'] as const).map((p) => ({ p, rpc: client(b.url(p)) }));
      for (let i = 0; i < 10; i++)
        for (const s of senders) await s.rpc.chat.send('lobby', `${s.p} ${i}`, s.p);
      const got = await take(sub, 30);
      expect(got.map((m) => m.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(got.map((m) => m.text)).toEqual(
        Array.from({ length: 10 }, (_, i) => senders.map((s) => `${s.p} ${i}`)).flat(),
      );
      const fromA = await client(a.url('msgpack')).chat.history('lobby', 0, 1000);
      const fromB = await client(b.url('xmlrpc')).chat.history('lobby', 0, 1000);
      expect(fromA.map((m) => [m.id, m.nick, m.text])).toEqual(fromB.map((m) => [m.id, m.nick, m.text]));
      expect(fromA).toHaveLength(30);
      await sub.return?.();
    });

    it('without afterId, a message sent once the subscription is ready is delivered (a fresh room)', async () => {
      for (let round = 0; round < 5; round++) {
        const room = `fresh-${round}`;
        await client(b.url('tcp')).chat.send(room, 'before');
        const sub = client(a.url('msgpack')).chat.subscribe(room);
        await sub.ready;
        await client(b.url('msgpack')).chat.send(room, 'after');
        expect((await take(sub, 1)).map((m) => [m.id, m.text])).toEqual([[2, 'after']]);
        await sub.return?.();
      }
    });

    it('ids are unique and increasing under 20 concurrent senders split across instances', async () => {
      const sub = client(b.url('msgpack')).chat.subscribe('busy', 0);
      await sub.ready;
      const perSender = 10;
      const runs = await Promise.all(
        Array.from({ length: 20 }, async (_, s) => {
          const rpc = client((s % 2 ? a : b).url(s % 3 === 0 ? 'msgpack' : 'tcp'));
          const ids: number[] = [];
          for (let i = 0; i < perSender; i++) ids.push((await rpc.chat.send('busy', `s${s} m${i}`)).id);
          return ids;
        }),
      );
      for (const ids of runs) expect(ids).toEqual([...ids].sort((x, y) => x - y));
      const all = runs.flat().sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const seen = await take(sub, 200);
      expect(seen.map((m) => m.id)).toEqual(all);
      await sub.return?.();
    });

    it('add and echo work, chat answers -32004, when Redis is gone; all is well once it is back', async () => {
      // Its own Redis, with an append-only file, so a kill -9 keeps every acknowledged message.
      let own = await startRedis({ appendonly: true });
      const x = await instance(own.url);
      const y = await instance(own.url);
      try {
        const sub = client(x.url('tcp')).chat.subscribe('outage', 0);
        await sub.ready;
        const sender = client(y.url('msgpack'));
        for (let i = 1; i <= 5; i++) await sender.chat.send('outage', `before ${i}`);
        expect((await take(sub, 5)).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);

        await own.kill('SIGKILL');
        const err = await sender.chat.send('outage', 'during').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RpcError);
        expect((err as RpcError).code).toBe(Code.Unavailable);
        expect((err as RpcError).message).toMatch(/Redis\) is unavailable/);
        const history = await sender.chat.history('outage').catch((e: unknown) => e);
        expect((history as RpcError).code).toBe(Code.Unavailable);
        expect(await sender.add(2, 3)).toBe(5);
        expect(await client(x.url('xmlrpc')).echo('still here')).toBe('still here');

        own = await startRedis({ port: own.port, dir: own.dir, appendonly: true });
        let sent = 0;
        const deadline = Date.now() + 15_000;
        while (sent < 5 && Date.now() < deadline) {
          try {
            await sender.chat.send('outage', `after ${sent + 1}`);
            sent++;
          } catch (e) {
            expect((e as RpcError).code).toBe(Code.Unavailable);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        expect(sent).toBe(5);
        const after = await take(sub, 5);
        expect(after.map((m) => [m.id, m.text])).toEqual(
          Array.from({ length: 5 }, (_, i) => [6 + i, `after ${i + 1}`]),
        );
        expect((await sender.chat.history('outage')).map((m) => m.id)).toEqual(
          Array.from({ length: 10 }, (_, i) => i + 1),
        );
        await sub.return?.();
      } finally {
        for (const i of [x, y]) {
          await i.server.close(0);
          await i.broker.close();
        }
        await own.stop();
      }
    }, 60_000);
  },
);
