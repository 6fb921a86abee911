/**
 * WebSocket at /ws, spoken with a raw `ws` client: text frames are JSON-RPC, binary
 * frames msgpack-rpc without a length prefix, both on one connection; replies and
 * pushes keep their frame type; limits, origins, idle timeout and pings.
 */
import { pack, unpack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import type { Logger } from '../../src/rpc/registry.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const quiet: Logger = { debug() {}, error() {} };
const servers: RpcServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close(500)));
});

async function start(limits: Record<string, number> = {}, allowedOrigins?: string[]): Promise<string> {
  const server = await serve(createDemoService(), {
    protocols: ['websocket'],
    httpPort: 0,
    logger: quiet,
    limits,
    allowedOrigins,
  });
  servers.push(server);
  return server.listeners.find((l) => l.url.startsWith('ws:'))!.url;
}

interface Frame {
  readonly binary: boolean;
  readonly value: unknown;
}

/** open connects a raw client that records every frame, decoded by its type. */
async function open(url: string, headers?: Record<string, string>, autoPong = true) {
  const ws = new WebSocket(url, { headers, autoPong });
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    frames.push({ binary, value: binary ? unpack(data) : JSON.parse(data.toString()) });
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (count: number, ms = 3000): Promise<Frame[]> => {
    const end = Date.now() + ms;
    while (frames.length < count) {
      if (Date.now() > end) throw new Error(`only ${frames.length} of ${count} frames arrived`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return frames.splice(0, count);
  };
  return { ws, next, closed };
}

describe('websocket wire', () => {
  it('answers text frames with JSON-RPC and binary frames with msgpack-rpc, on one connection', async () => {
    const url = await start();
    const c = await open(url);
    c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'add', params: [2, 3] }));
    expect(await c.next(1)).toEqual([{ binary: false, value: { jsonrpc: '2.0', id: 1, result: 5 } }]);
    c.ws.send(pack([0, 1, 'credentials.lookup', ['Dalek']]));
    expect(await c.next(1)).toEqual([{ binary: true, value: [1, 1, null, 'Davros'] }]);
    c.ws.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'add', params: [1, 1] },
        { jsonrpc: '2.0', method: 'add', params: [1, 1] },
        { foo: 1 },
      ]),
    );
    const [batch] = await c.next(1);
    expect(batch!.value).toEqual([
      { jsonrpc: '2.0', id: 'a', result: 2 },
      { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) },
    ]);
    c.ws.send('{not json');
    expect((await c.next(1))[0]!.value).toMatchObject({ id: null, error: { code: -32700 } });
    c.ws.close();
  });

  it('pushes each subscription in the frame type it was made with', async () => {
    const url = await start();
    const c = await open(url);
    c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chat.subscribe', params: ['mixed'] }));
    c.ws.send(pack([0, 2, 'chat.subscribe', ['mixed']]));
    const replies = await c.next(2);
    expect(replies.map((f) => f.binary).sort()).toEqual([false, true]);
    const sender = createClient<DemoService>(url.replace(/^ws:/, 'msgpack+ws:'));
    await sender.chat.send('mixed', 'hello', 'amy');
    const pushes = await c.next(2);
    const text = pushes.find((f) => !f.binary)!.value as {
      method: string;
      params: [number, { text: string }];
    };
    const bin = pushes.find((f) => f.binary)!.value as [number, string, [number, { text: string }]];
    expect(text.method).toBe('rpc.event');
    expect(text.params[1].text).toBe('hello');
    expect(bin[0]).toBe(2);
    expect(bin[1]).toBe('rpc.event');
    expect(bin[2][1].text).toBe('hello');
    await sender.$close();
    c.ws.close();
  });

  it('closes a connection whose frame is over maxMessageBytes (1009), and serves others', async () => {
    const url = await start({ maxMessageBytes: 1024 });
    const c = await open(url);
    c.ws.send('x'.repeat(4096));
    expect(await c.closed).toBe(1009);
    const d = await open(url);
    d.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] }));
    expect((await d.next(1))[0]!.value).toMatchObject({ result: 3 });
    d.ws.close();
  });

  it('on loopback accepts any Origin; with allowedOrigins, only those', async () => {
    const open1 = await open(await start(), { Origin: 'http://evil.example' });
    open1.ws.close();
    const url = await start({}, ['http://app.example']);
    await expect(open(url, { Origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const ok = await open(url, { Origin: 'http://app.example' });
    ok.ws.close();
    const noOrigin = await open(url); // not a browser
    noOrigin.ws.close();
  });

  it('closes an idle connection, and pings one that holds a subscription', async () => {
    const url = await start({ idleTimeoutMs: 300, pingIntervalMs: 200 });
    const idle = await open(url);
    expect(await idle.closed).toBe(1006); // terminated
    const sub = await open(url);
    let pings = 0;
    sub.ws.on('ping', () => pings++);
    sub.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chat.subscribe', params: ['quiet'] }));
    await sub.next(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(sub.ws.readyState).toBe(WebSocket.OPEN); // ws answers pings itself
    sub.ws.close();
  });

  it('closes a subscriber that does not answer pings', async () => {
    const url = await start({ idleTimeoutMs: 60_000, pingIntervalMs: 200 });
    const deaf = await open(url, undefined, false);
    deaf.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chat.subscribe', params: ['deaf'] }));
    await deaf.next(1);
    const started = Date.now();
    expect(await deaf.closed).toBe(1006);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers a plain GET on /ws with 426', async () => {
    const url = await start();
    const res = await fetch(url.replace(/^ws:/, 'http:'));
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
  });
});
