/**
 * Our client against our server, over TCP and HTTP: calls (positional and named),
 * errors, pipelining, batches, notifications, timeouts, aborts, close, push.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, type DemoService, UNKNOWN_SPECIES } from '../../../src/demo/service.js';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import { createRegistry } from '../../../src/rpc/registry.js';
import { defineService, param, procedure } from '../../../src/rpc/service.js';
import { createClient } from '../../../src/sdk/index.js';
import { TransportError } from '../../../src/transport/errors.js';
import { createHttpServer, drainHttpServer } from '../../../src/transport/http.js';
import { jsonRpc } from '../../../src/transport/jsonrpc/index.js';
import { type StreamServer, serveStream } from '../../../src/transport/stream-server.js';
import { type ClientTransport, defaultLimits } from '../../../src/transport/types.js';

const slowService = defineService({
  sleep: procedure({
    doc: 'sleep(ms) resolves after ms, or when the call is abandoned.',
    params: [param('ms', z.number())],
    result: z.number(),
    handler: ({ ms }, ctx) =>
      new Promise<number>((resolve) => {
        const t = setTimeout(() => resolve(ms), ms);
        ctx.signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      }),
  }),
});

const registry = createRegistry(createDemoService());
let stream: StreamServer;
let slow: StreamServer;
let http: Server;
let tcpUrl: string;
let slowUrl: string;
let httpUrl: string;

const listen = async (s: Server | StreamServer['server']): Promise<number> => {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as { port: number }).port;
};

beforeAll(async () => {
  stream = serveStream(jsonRpc, registry, defaultLimits);
  slow = serveStream(jsonRpc, createRegistry(slowService), defaultLimits);
  http = createHttpServer(registry, [jsonRpc], defaultLimits);
  tcpUrl = `tcp://127.0.0.1:${await listen(stream.server)}`;
  slowUrl = `jsonrpc+tcp://127.0.0.1:${await listen(slow.server)}`;
  httpUrl = `jsonrpc+http://127.0.0.1:${await listen(http)}/jsonrpc`;
});

afterAll(async () => {
  await stream.drain(1000);
  await slow.drain(1000);
  await drainHttpServer(http, 1000);
});

const transportFor = (url: string): ClientTransport => jsonRpc.createTransport(new URL(url), {});

describe.each([
  ['tcp', () => tcpUrl],
  ['http', () => httpUrl],
])('jsonrpc client ↔ server over %s', (_name, url) => {
  it('calls with positional and named params', async () => {
    const t = transportFor(url());
    try {
      expect(await t.call({ method: 'add', params: [2, 3] })).toBe(5);
      expect(await t.call({ method: 'add', params: { a: 1.5, b: 2 } })).toBe(3.5);
      expect(await t.call({ method: 'credentials.lookup', params: { species: 'Dalek' } })).toBe('Davros');
    } finally {
      await t.close();
    }
  });

  it('turns error replies into RpcError with code and data', async () => {
    const t = transportFor(url());
    try {
      await expect(t.call({ method: 'credentials.lookup', params: ['Gallifreyan'] })).rejects.toMatchObject({
        name: 'RpcError',
        code: UNKNOWN_SPECIES,
      });
      await expect(t.call({ method: 'nope', params: [] })).rejects.toMatchObject({
        code: Code.MethodNotFound,
      });
      const err = await t.call({ method: 'add', params: ['x', 1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(Code.InvalidParams);
      expect(Array.isArray((err as RpcError).data)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('maps Date to an ISO string and bytes to base64', async () => {
    const t = transportFor(url());
    try {
      const at = new Date(Date.UTC(2020, 1, 3));
      expect(await t.call({ method: 'echo', params: [{ at, b: new Uint8Array([104, 105]) }] })).toEqual({
        at: '2020-02-03T00:00:00.000Z',
        b: 'aGk=',
      });
    } finally {
      await t.close();
    }
  });

  it('pipelines 200 calls and matches every reply', async () => {
    const t = transportFor(url());
    try {
      const got = await Promise.all(
        Array.from({ length: 200 }, (_, i) => t.call({ method: 'echo', params: [i] })),
      );
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    } finally {
      await t.close();
    }
  });

  it('sends a batch and settles each call in order', async () => {
    const t = transportFor(url());
    try {
      const settled = await t.batch!([
        { method: 'add', params: [1, 2] },
        { method: 'credentials.lookup', params: ['Nobody'] },
        { method: 'hypotenuse', params: [3, 4] },
      ]);
      expect(settled[0]).toEqual({ ok: true, value: 3 });
      expect(settled[1]?.ok === false && settled[1].error.code).toBe(UNKNOWN_SPECIES);
      expect(settled[2]).toEqual({ ok: true, value: 5 });
    } finally {
      await t.close();
    }
  });

  it('a batch over the size limit is refused whole, promptly, with the server error', async () => {
    const t = transportFor(url());
    try {
      const calls = Array.from({ length: defaultLimits.maxBatch + 1 }, (_, i) => ({
        method: 'add',
        params: [i, 1],
      }));
      // With a timeout, a hang would surface as a TransportError instead of the server's error.
      await expect(t.batch!(calls, { timeout: 10_000 })).rejects.toMatchObject({ code: Code.LimitExceeded });
      expect(await t.call({ method: 'add', params: [1, 1] })).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('sends notifications, which get no reply but run', async () => {
    const t = transportFor(url());
    try {
      const room = `note-${_name}`;
      await t.notify!({ method: 'chat.send', params: [room, 'quiet'] });
      await t.notify!({ method: 'nope', params: [] }); // an error nobody hears
      let history: unknown[] = [];
      for (let i = 0; i < 50 && history.length === 0; i++) {
        history = (await t.call({ method: 'chat.history', params: [room] })) as unknown[];
        if (history.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(history).toMatchObject([{ room, text: 'quiet' }]);
    } finally {
      await t.close();
    }
  });

  it('answers rpc.discover with an OpenRPC document', async () => {
    const t = transportFor(url());
    try {
      const doc = (await t.call({ method: 'rpc.discover', params: [] })) as {
        openrpc: string;
        methods: { name: string }[];
      };
      expect(doc.openrpc).toMatch(/^1\./);
      expect(doc.methods.map((m) => m.name)).toContain('credentials.lookup');
    } finally {
      await t.close();
    }
  });

  it('works through the typed proxy, batch included', async () => {
    const rpc = createClient<DemoService>(url());
    try {
      expect(await rpc.hypotenuse(5, 12)).toBe(13);
      const [a, b] = await rpc.$batch((b) => [b.add(1, 1), b.credentials.lookup('Ood')] as const);
      expect(a).toEqual({ ok: true, value: 2 });
      expect(b).toEqual({ ok: true, value: 'Klineman Halpen' });
    } finally {
      await rpc.$close();
    }
  });
});

describe('jsonrpc client failures', () => {
  it('times out a call', async () => {
    const t = transportFor(slowUrl);
    try {
      const err = await t.call({ method: 'sleep', params: [5000] }, { timeout: 50 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).reason).toBe('timeout');
      expect(await t.call({ method: 'sleep', params: [1] })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('aborts a call', async () => {
    const t = transportFor(slowUrl);
    try {
      const ac = new AbortController();
      const p = t.call({ method: 'sleep', params: [5000] }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      await expect(p).rejects.toMatchObject({ name: 'TransportError', reason: 'aborted' });
    } finally {
      await t.close();
    }
  });

  it('rejects calls in flight on close, and later calls too', async () => {
    const t = transportFor(slowUrl);
    const p = t.call({ method: 'sleep', params: [5000] });
    p.catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
    await t.close();
    await expect(p).rejects.toMatchObject({ name: 'TransportError', reason: 'closed' });
    await expect(t.call({ method: 'sleep', params: [1] })).rejects.toMatchObject({ reason: 'closed' });
  });

  it('rejects calls in flight on close over HTTP', async () => {
    const h = createServer(() => {}); // reads the request, never answers
    const port = await listen(h);
    const t = transportFor(`jsonrpc+http://127.0.0.1:${port}`);
    try {
      const p = t.call({ method: 'x', params: [] });
      p.catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
      await t.close();
      await expect(p).rejects.toMatchObject({ name: 'TransportError', reason: 'closed' });
    } finally {
      h.closeAllConnections();
      await new Promise<void>((resolve) => h.close(() => resolve()));
    }
  });

  it('fails with a connect TransportError when nothing listens', async () => {
    const h = createServer();
    const port = await listen(h);
    await new Promise<void>((resolve) => h.close(() => resolve()));
    const http = transportFor(`jsonrpc+http://127.0.0.1:${port}`);
    await expect(http.call({ method: 'add', params: [1, 2] })).rejects.toMatchObject({ reason: 'connect' });
    await http.close();
    // The shared stream client reports this one as `closed` for now; it is a TransportError either way.
    const tcp = transportFor(`tcp://127.0.0.1:${port}`);
    await expect(tcp.call({ method: 'add', params: [1, 2] })).rejects.toBeInstanceOf(TransportError);
    await tcp.close();
  });

  it('refuses a subscription over HTTP with -32001', async () => {
    const t = transportFor(httpUrl);
    try {
      await expect(t.call({ method: 'chat.subscribe', params: ['r'] })).rejects.toMatchObject({
        code: Code.Unsupported,
      });
    } finally {
      await t.close();
    }
  });
});

describe('POST /jsonrpc on the shared HTTP server', () => {
  const post = async (body: string): Promise<{ status: number; type: string | null; text: string }> => {
    const res = await fetch(httpUrl.replace('jsonrpc+http:', 'http:'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('answers a call with 200 and a JSON body', async () => {
    const res = await post('{"jsonrpc":"2.0","method":"add","params":[2,3],"id":null}');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(JSON.parse(res.text)).toEqual({ jsonrpc: '2.0', id: null, result: 5 });
  });

  it('answers a notification and a batch of only notifications with an empty 204', async () => {
    for (const body of [
      '{"jsonrpc":"2.0","method":"add","params":[2,3]}',
      '{"jsonrpc":"2.0","method":"nope"}',
      '[{"jsonrpc":"2.0","method":"add","params":[1,1]},{"jsonrpc":"2.0","method":"nope"}]',
    ]) {
      const res = await post(body);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
  });

  it('answers bad JSON, an empty batch and a mixed batch like TCP does', async () => {
    expect(JSON.parse((await post('{"jsonrpc":')).text)).toMatchObject({
      id: null,
      error: { code: Code.ParseError },
    });
    expect(JSON.parse((await post('[]')).text)).toMatchObject({
      id: null,
      error: { code: Code.InvalidRequest },
    });
    const mixed = JSON.parse(
      (
        await post(
          '[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"add"},5]',
        )
      ).text,
    ) as { id: unknown }[];
    expect(mixed).toHaveLength(2);
    expect(mixed).toContainEqual({ jsonrpc: '2.0', id: 1, result: 3 });
    expect(mixed).toContainEqual(
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: Code.InvalidRequest }) }),
    );
  });
});
