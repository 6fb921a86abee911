/**
 * Interop with jayson 5 over WebSocket, both directions: jayson's WebSocket client
 * (`jayson.Client.websocket`, on `ws` through isomorphic-ws) against our
 * `/ws`, and our `ws://` client against jayson's WebSocket server.
 */
import jayson from 'jayson/promise/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, UNKNOWN_SPECIES } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import type { ClientTransport } from '../../src/transport/types.js';
import { webSocket } from '../../src/transport/websocket/index.js';

type JaysonClient = InstanceType<typeof jayson.Client>;
interface Response {
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

// jayson's client sends at once, so it is given a socket that is already open.
async function jaysonClient(url: string): Promise<{ client: JaysonClient; close: () => void }> {
  const { default: WebSocket } = (await import('isomorphic-ws')) as unknown as {
    default: new (url: string) => { once(e: string, f: (err?: Error) => void): void; close(): void };
  };
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client = jayson.Client.websocket({ ws: ws as never, timeout: 5000 });
  return { client, close: () => ws.close() };
}

describe('jayson WebSocket client → our /ws', () => {
  let server: RpcServer;
  let jc: { client: JaysonClient; close: () => void };

  beforeAll(async () => {
    server = await serve(createDemoService(), { protocols: ['websocket'], httpPort: 0 });
    jc = await jaysonClient(server.listeners.find((l) => l.url.startsWith('ws:'))!.url);
  });
  afterAll(async () => {
    jc?.close();
    await server?.close(1000);
  });

  it('calls add, credentials.lookup and echo, positional and named', async () => {
    const { client } = jc;
    expect(await client.request('add', [2, 3])).toMatchObject({ jsonrpc: '2.0', result: 5 });
    expect(await client.request('hypotenuse', { a: 3, b: 4 })).toMatchObject({ result: 5 });
    expect(await client.request('credentials.lookup', ['Dalek'])).toMatchObject({ result: 'Davros' });
    expect(await client.request('echo', [{ nested: [1, 'two', null], s: 'é' }])).toMatchObject({
      result: { nested: [1, 'two', null], s: 'é' },
    });
  });

  it('gets the 404 error of credentials.lookup with its id echoed', async () => {
    const res = (await jc.client.request('credentials.lookup', ['Gallifreyan'], 'my-id')) as Response;
    expect(res.id).toBe('my-id');
    expect(res.error?.code).toBe(UNKNOWN_SPECIES);
    expect(res.error?.message).toContain('Gallifreyan');
  });

  it('pipelines calls on the one socket and gets each reply by id', async () => {
    const replies = (await Promise.all(
      Array.from({ length: 40 }, (_, i) => jc.client.request('add', [i, 1])),
    )) as Response[];
    expect(replies.map((r) => r.result)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('sends a batch', async () => {
    const { client } = jc;
    const batch = [
      client.request('add', [1, 2], undefined, false),
      client.request('nope', [], undefined, false),
      client.request('credentials.lookup', ['Zygon'], undefined, false),
    ];
    const res = (await client.request(batch)) as Response[];
    const byId = new Map(res.map((r) => [r.id, r]));
    expect(res).toHaveLength(3);
    expect(byId.get(batch[0]!.id)?.result).toBe(3);
    expect(byId.get(batch[1]!.id)?.error?.code).toBe(Code.MethodNotFound);
    expect(byId.get(batch[2]!.id)?.result).toBe('Broton');
  });

  it('sends a notification that still runs', async () => {
    const room = 'jayson-ws-note';
    // An id of null is how jayson sends a notification (its types omit it).
    await jc.client.request('chat.send', [room, 'from jayson'], null as unknown as string);
    let history: unknown[] = [];
    for (let i = 0; i < 50 && history.length === 0; i++) {
      history = ((await jc.client.request('chat.history', [room])) as { result: unknown[] }).result;
      if (history.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(history).toMatchObject([{ room, text: 'from jayson' }]);
  });
});

const recorded: unknown[] = [];

/** What jayson's `websocket()` returns: a `ws` server (typed as an opaque class). */
interface JaysonWss {
  once(event: 'listening', listener: () => void): void;
  address(): unknown;
  close(callback: () => void): void;
}

describe('our ws:// client → jayson WebSocket server', () => {
  let wss: JaysonWss;
  let t: ClientTransport;

  beforeAll(async () => {
    type Args = unknown[] | Record<string, unknown>;
    const arg = (args: Args, i: number, name: string): unknown =>
      Array.isArray(args) ? args[i] : args[name];
    const j = new jayson.Server({
      add: async (args: Args) => (arg(args, 0, 'a') as number) + (arg(args, 1, 'b') as number),
      echo: async (args: Args) => arg(args, 0, 'value'),
      fail: async () => {
        throw { code: 418, message: 'teapot', data: { brew: 'earl grey' } };
      },
      record: async (args: Args) => {
        recorded.push(arg(args, 0, 'value'));
        return null;
      },
    });
    wss = j.websocket({ port: 0, host: '127.0.0.1' }) as unknown as JaysonWss;
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as { port: number };
    t = webSocket.createTransport(new URL(`ws://127.0.0.1:${port}/`), {});
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  it('calls, positional and named', async () => {
    expect(await t.call({ method: 'add', params: [20, 22] })).toBe(42);
    expect(await t.call({ method: 'add', params: { a: 1, b: 2 } })).toBe(3);
    expect(await t.call({ method: 'echo', params: [{ s: 'é', n: [1.5] }] })).toEqual({ s: 'é', n: [1.5] });
  });

  it('pipelines calls and matches the replies', async () => {
    const got = await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.call({ method: 'echo', params: [i] })),
    );
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('gets a remote error as RpcError with data, and -32601 for an unknown method', async () => {
    const err = await t.call({ method: 'fail', params: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({ code: 418, message: 'teapot', data: { brew: 'earl grey' } });
    await expect(t.call({ method: 'missing', params: [] })).rejects.toMatchObject({
      code: Code.MethodNotFound,
    });
  });

  it('sends a batch', async () => {
    const settled = await t.batch!([
      { method: 'add', params: [1, 1] },
      { method: 'fail', params: [] },
      { method: 'echo', params: ['x'] },
    ]);
    expect(settled[0]).toEqual({ ok: true, value: 2 });
    expect(settled[1]?.ok === false && settled[1].error.code).toBe(418);
    expect(settled[2]).toEqual({ ok: true, value: 'x' });
  });

  it('sends a notification', async () => {
    await t.notify!({ method: 'record', params: ['note-ws'] });
    for (let i = 0; i < 50 && !recorded.includes('note-ws'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(recorded).toContain('note-ws');
  });
});
