// Issue 15: a subscriber that reads slower than events come in. The client's
// per-subscription buffer (`subscriptionBuffer`) never drops silently: a stream whose
// events have ids stops on the server and, once the application has caught up,
// resumes after the last event it queued (nothing lost, nothing repeated); one
// without ids ends with -32002 `overflow` after what it holds. Real sockets, both
// stream protocols and WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, createMemoryBroker } from '../../src/demo/index.js';
import {
  Code,
  createClient,
  defineService,
  param,
  RpcError,
  type RpcServer,
  serve,
  subscription,
} from '../../src/index.js';

const service = defineService({
  ...createDemoService(createMemoryBroker({ idBase: 0 })).tree,
  count: subscription({
    doc: 'count(n) pushes 0..n-1, without event ids.',
    params: [param('n', z.number().int().min(0).max(100_000))],
    event: z.number(),
    async *handler({ n }) {
      for (let i = 0; i < n; i++) yield i;
    },
  }),
});

let server: RpcServer;
const endpoints: { name: string; url: string }[] = [];
beforeAll(async () => {
  server = await serve(service, {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    logger: { debug() {}, error() {} },
  });
  for (const [name, re] of [
    ['jsonrpc', /^tcp:/],
    ['msgpack', /^msgpack:/],
    ['websocket', /^ws:/],
  ] as const)
    endpoints.push({ name, url: server.listeners.find((l) => re.test(l.url))!.url });
});
afterAll(() => server.close(1000));

const BUFFER = 16;
const SENT = 300;

describe('client subscription buffer', () => {
  it.each(['jsonrpc', 'msgpack', 'websocket'])(
    '%s: a subscriber that falls behind gets every message once, in order, after catching up',
    async (name) => {
      const { url } = endpoints.find((e) => e.name === name)!;
      const reader = createClient<typeof service>(url, { subscriptionBuffer: BUFFER, timeout: 10_000 });
      const writer = createClient<typeof service>(url, { timeout: 10_000 });
      const room = `slow-${name}`;
      const sub = reader.chat.subscribe(room, 0);
      await sub.ready;
      // Nobody reads while all of them are sent (and pushed, as far as the buffer goes).
      for (let i = 1; i <= SENT; i++) await writer.chat.send(room, `m${i}`);
      const texts: string[] = [];
      for await (const m of sub) {
        texts.push(m.text);
        if (texts.length === SENT) break;
      }
      expect(texts).toEqual(Array.from({ length: SENT }, (_, i) => `m${i + 1}`));
      await Promise.all([reader.$close(), writer.$close()]);
    },
  );

  it('a stream without event ids ends with -32002 overflow after the events it holds', async () => {
    const { url } = endpoints.find((e) => e.name === 'jsonrpc')!;
    const rpc = createClient<typeof service>(url, { subscriptionBuffer: BUFFER, timeout: 10_000 });
    const sub = rpc.count(1000);
    await sub.ready;
    // Let the server push well past the buffer before reading.
    await rpc.add(1, 1);
    await new Promise((r) => setTimeout(r, 100));
    const got: number[] = [];
    let error: unknown;
    try {
      for await (const n of sub) got.push(n);
    } catch (e) {
      error = e;
    }
    expect(got).toEqual(Array.from({ length: BUFFER }, (_, i) => i));
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).code).toBe(Code.EventsLost);
    expect((error as RpcError).data).toEqual({ reason: 'overflow' });
    // The connection is fine, and the server was told to stop.
    expect(await rpc.add(2, 3)).toBe(5);
    await rpc.$close();
  });
});
