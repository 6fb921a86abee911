/**
 * Issue 15 with real faults: a proxy that cuts (or freezes) every connection through
 * it at random moments sits between a chat subscriber and the server while another
 * client sends messages; the subscriber must receive each exactly once, in id order,
 * on JSON-RPC/TCP, msgpack and WebSocket (both frame types). Also: calls in flight
 * during a cut, calls made during an outage, the bounded wait queue, and the
 * connection state. Every wait is bounded; the proxies and servers run in this process.
 *
 * The message count is 2,000 per protocol; POLYRPC_SOAK=1 (`npm run test:soak`) runs 10,000.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, createMemoryBroker } from '../../src/demo/index.js';
import {
  type ConnectionState,
  createClient,
  defineService,
  type Logger,
  param,
  procedure,
  type RpcServer,
  serve,
  TransportError,
} from '../../src/index.js';
import { type ChaosProxy, startChaosProxy } from '../support/chaos-proxy.js';

const quiet: Logger = { debug() {}, error() {} };
const COUNT = process.env.POLYRPC_SOAK === '1' ? 10_000 : 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function faultService() {
  // History long enough that no outage in these tests outlives it.
  const broker = createMemoryBroker({ idBase: 0, historyLimit: 50_000 });
  return defineService({
    ...createDemoService(broker).tree,
    slow: procedure({
      doc: 'slow(ms) answers "done" after ms, or "aborted" when its connection ends first.',
      params: [param('ms', z.number().int().min(0).max(5000))],
      result: z.string(),
      handler: ({ ms }, ctx) =>
        new Promise<string>((resolve) => {
          const timer = setTimeout(() => resolve('done'), ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve('aborted');
          });
        }),
    }),
  });
}
type FaultService = ReturnType<typeof faultService>;

const server: RpcServer = await serve(faultService(), {
  httpPort: 0,
  ports: { jsonrpc: 0, msgpack: 0 },
  logger: quiet,
});
const proxies: ChaosProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await server.close(1000);
});

/** The push endpoints, each with the port a proxy forwards to and a URL template. */
const endpoints = server.listeners
  .filter((l) => /^(tcp|msgpack|ws|msgpack\+ws):/.test(l.url))
  .map((l) => {
    const u = new URL(l.url);
    return {
      name: `${l.protocol} ${u.protocol}`,
      port: Number(u.port),
      via: (p: number) => urlVia(l.url, p),
    };
  });

function urlVia(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString().replace(/\/$/, '');
}

const sender = createClient<FaultService>(server.listeners.find((l) => l.url.startsWith('tcp:'))!.url);
afterAll(() => sender.$close());

/** send publishes `count` messages to `room`, 20 at a time with a pause, so that the cuts fall among them. */
async function send(room: string, count: number, pauseMs = 2): Promise<void> {
  for (let i = 0; i < count; i += 20) {
    const n = Math.min(20, count - i);
    await Promise.all(Array.from({ length: n }, (_, j) => sender.chat.send(room, `m${i + j + 1}`)));
    await sleep(pauseMs);
  }
}

/** receive collects message ids from a subscription until `last` arrives or `ms` pass. */
async function receive(sub: AsyncIterable<{ id: number }>, last: number, ms: number): Promise<number[]> {
  const ids: number[] = [];
  const stop = setTimeout(() => void (sub as { close?: () => Promise<void> }).close?.(), ms);
  try {
    for await (const m of sub) {
      ids.push(m.id);
      if (m.id >= last) break;
    }
  } finally {
    clearTimeout(stop);
  }
  return ids;
}

function tally(ids: readonly number[], count: number) {
  const seen = new Set(ids);
  const inOrder = ids.every((id, i) => i === 0 || id > ids[i - 1]!);
  return { received: ids.length, lost: count - seen.size, duplicated: ids.length - seen.size, inOrder };
}

describe.each(endpoints)('reconnect: $name through a cutting proxy', (ep) => {
  it(
    `delivers ${COUNT} chat messages exactly once, in id order`,
    async () => {
      const proxy = await startChaosProxy({ target: ep.port, mode: 'cut', minMs: 20, maxMs: 150 });
      proxies.push(proxy);
      const rpc = createClient<FaultService>(ep.via(proxy.port), {
        timeout: 5000,
        reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
        heartbeat: { intervalMs: 250 },
      });
      let reconnects = 0;
      rpc.$onState((s) => {
        if (s === 'reconnecting') reconnects++;
      });
      const room = `cut-${ep.name}`;
      const sub = rpc.chat.subscribe(room, 0);
      await sub.ready;
      const [ids] = await Promise.all([receive(sub, COUNT, COUNT * 15), send(room, COUNT)]);
      const t = tally(ids, COUNT);
      console.log(`[i15] cut ${ep.name}: ${JSON.stringify({ ...t, cuts: proxy.broken, reconnects })}`);
      expect(t).toEqual({ received: COUNT, lost: 0, duplicated: 0, inOrder: true });
      expect(reconnects).toBeGreaterThan(0);
      await rpc.$close();
      expect(rpc.$state).toBe('closed');
    },
    60_000 + COUNT * 20,
  );
});

describe.each(endpoints)('heartbeat: $name through a freezing proxy', (ep) => {
  it('notices the frozen connection, reconnects, and misses nothing', async () => {
    const proxy = await startChaosProxy({ target: ep.port, mode: 'freeze', minMs: 30, maxMs: 80 });
    proxies.push(proxy);
    const rpc = createClient<FaultService>(ep.via(proxy.port), {
      timeout: 5000,
      reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
      heartbeat: { intervalMs: 100, misses: 2 },
    });
    const room = `freeze-${ep.name}`;
    const sub = rpc.chat.subscribe(room, 0);
    await sub.ready;
    const n = 300;
    const [ids] = await Promise.all([receive(sub, n, 20_000), send(room, n, 20)]);
    const t = tally(ids, n);
    console.log(`[i15] freeze ${ep.name}: ${JSON.stringify({ ...t, frozen: proxy.broken })}`);
    expect(t).toEqual({ received: n, lost: 0, duplicated: 0, inOrder: true });
    expect(proxy.broken).toBeGreaterThan(0);
    await rpc.$close();
  }, 30_000);
});

describe('reconnect: calls across a cut', () => {
  const ep = endpoints.find((e) => e.name.includes('tcp'))!;

  it('fails calls in flight as outcome unknown, resends idempotent ones once, and runs calls made during the outage', async () => {
    const proxy = await startChaosProxy({ target: ep.port, mode: 'none' });
    proxies.push(proxy);
    const rpc = createClient<FaultService>(ep.via(proxy.port), {
      timeout: 5000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100, maxQueued: 3 },
    });
    const states: ConnectionState[] = [];
    rpc.$onState((s) => states.push(s));
    expect(await rpc.add(1, 2)).toBe(3);
    expect(rpc.$state).toBe('open');
    const inFlight = rpc.slow(400);
    const idempotent = rpc.$with({ idempotent: true }).slow(400);
    await sleep(100);
    const refused = proxy.refuse(true);
    proxy.cutAll();
    await refused;
    const err = await inFlight.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).reason).toBe('closed');
    expect((err as Error).message).toMatch(/outcome of calls in flight is unknown/);
    // Made during the outage: they wait (the bound is 3, the resent call is one of them).
    const during = [rpc.add(2, 3), rpc.add(3, 4)];
    await sleep(10); // they go out on the next microtask
    const over = await rpc.add(4, 5).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((over as Error).message).toMatch(/already wait for the connection; not sent/);
    expect(rpc.$state).toBe('reconnecting');
    await sleep(300);
    await proxy.refuse(false);
    expect(await Promise.all(during)).toEqual([5, 7]);
    expect(await idempotent).toBe('done');
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    await rpc.$close();
  }, 15_000);

  it('a subscription whose acceptance was cut off is sent again on the next connection', async () => {
    const proxy = await startChaosProxy({ target: ep.port, mode: 'none' });
    proxies.push(proxy);
    const rpc = createClient<FaultService>(ep.via(proxy.port), {
      timeout: 5000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    expect(await rpc.add(1, 1)).toBe(2);
    const sub = rpc.$transport.subscribe!({ method: 'chat.subscribe', params: ['cut-accept', 0] });
    proxy.cutAll(); // in the same turn: the subscribe never reaches the server
    await sub.ready;
    const sent = await sender.chat.send('cut-accept', 'made it');
    expect(((await sub.next()).value as { id: number }).id).toBe(sent.id);
    await rpc.$close();
  }, 10_000);

  it('a call made while reconnecting fails at its own deadline when the server stays away', async () => {
    const proxy = await startChaosProxy({ target: ep.port, mode: 'none' });
    proxies.push(proxy);
    const rpc = createClient<FaultService>(ep.via(proxy.port), {
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    expect(await rpc.add(1, 1)).toBe(2);
    const refused = proxy.refuse(true);
    proxy.cutAll();
    await refused;
    await sleep(50);
    const started = performance.now();
    const err = await rpc
      .$with({ timeout: 300 })
      .add(1, 2)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as TransportError).reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(2000);
    await rpc.$close();
  }, 10_000);

  it('reconnect: false keeps the old behaviour: subscriptions end with the TransportError', async () => {
    const proxy = await startChaosProxy({ target: ep.port, mode: 'none' });
    proxies.push(proxy);
    const rpc = createClient<FaultService>(ep.via(proxy.port), { reconnect: false });
    const sub = rpc.chat.subscribe('no-reconnect');
    await sub.ready;
    proxy.cutAll();
    const err = await sub.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    await rpc.$close();
  }, 10_000);
});
