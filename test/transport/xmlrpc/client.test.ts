import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_SPECIES } from '../../../src/demo/service.js';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import { ResponseError, TransportError } from '../../../src/transport/errors.js';
import type { ClientTransport } from '../../../src/transport/types.js';
import { xmlRpc } from '../../../src/transport/xmlrpc/index.js';
import { closeServer, slowService, startServer } from './helpers.js';

let demo: { server: http.Server; url: string };
let slow: { server: http.Server; url: string };
let client: ClientTransport;

beforeAll(async () => {
  demo = await startServer({ maxBatch: 10 });
  slow = await startServer({}, slowService);
  client = xmlRpc.createTransport(new URL(demo.url), {});
});
afterAll(async () => {
  await client.close();
  await closeServer(demo.server);
  await closeServer(slow.server);
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (err: unknown) => err,
  );
}

describe('xmlrpc client against our server', () => {
  it('calls procedures', async () => {
    expect(await client.call({ method: 'add', params: [3, 5] })).toBe(8);
    expect(await client.call({ method: 'hypotenuse', params: [3, 4] })).toBe(5);
    expect(await client.call({ method: 'credentials.lookup', params: ['Time Lord'] })).toBe('Rassilon');
  });

  it('round-trips every type through echo', async () => {
    const value = [
      1,
      -2147483649,
      2n ** 60n,
      Math.PI,
      true,
      'ünïcode & <markup>',
      null,
      new Date(Date.UTC(1999, 11, 31, 23, 59, 59)),
      new Uint8Array([1, 2, 3]),
      { a: [{}], b: { c: '' } },
    ];
    expect(await client.call({ method: 'echo', params: [value] })).toEqual(value);
  });

  it('maps a fault to RpcError with the same code and message', async () => {
    const err = await rejection(client.call({ method: 'credentials.lookup', params: ['Tardis'] }));
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(UNKNOWN_SPECIES);
    expect((err as RpcError).message).toBe('Unknown species: Tardis');
    const missing = await rejection(client.call({ method: 'no.such', params: [] }));
    expect((missing as RpcError).code).toBe(Code.MethodNotFound);
  });

  it('runs many calls concurrently', async () => {
    const sums = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.call({ method: 'add', params: [i, i] })),
    );
    expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i));
  });

  it('batches through system.multicall', async () => {
    const settled = await client.batch!([
      { method: 'add', params: [1, 2] },
      { method: 'credentials.lookup', params: ['Nobody'] },
      { method: 'hypotenuse', params: [5, 12] },
    ]);
    expect(settled[0]).toEqual({ ok: true, value: 3 });
    expect(settled[1]?.ok).toBe(false);
    if (settled[1]?.ok === false) {
      expect(settled[1].error).toBeInstanceOf(RpcError);
      expect(settled[1].error.code).toBe(UNKNOWN_SPECIES);
    }
    expect(settled[2]).toEqual({ ok: true, value: 13 });
    expect(await client.batch!([])).toEqual([]);
    const tooMany = Array.from({ length: 11 }, () => ({ method: 'add', params: [1, 1] }));
    expect(((await rejection(client.batch!(tooMany))) as RpcError).code).toBe(Code.LimitExceeded);
  });

  it('refuses named params and values with no XML-RPC form before sending', async () => {
    expect(await rejection(client.call({ method: 'add', params: { a: 1, b: 2 } }))).toBeInstanceOf(TypeError);
    expect(await rejection(client.call({ method: 'echo', params: [Number.NaN] }))).toBeInstanceOf(TypeError);
  });
});

describe('xmlrpc client failures', () => {
  it('times out per call and honours an AbortSignal', async () => {
    const c = xmlRpc.createTransport(new URL(slow.url), { timeout: 5000 });
    try {
      const timedOut = await rejection(c.call({ method: 'slow', params: [2000] }, { timeout: 50 }));
      expect(timedOut).toBeInstanceOf(TransportError);
      expect((timedOut as TransportError).reason).toBe('timeout');
      const controller = new AbortController();
      const pending = c.call({ method: 'slow', params: [2000] }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 30);
      expect(((await rejection(pending)) as TransportError).reason).toBe('aborted');
      const pre = await rejection(c.call({ method: 'slow', params: [0] }, { signal: AbortSignal.abort() }));
      expect((pre as TransportError).reason).toBe('aborted');
      expect(await c.call({ method: 'slow', params: [0] })).toBe('done');
    } finally {
      await c.close();
    }
  });

  it('rejects calls in flight and later calls with closed once closed', async () => {
    const c = xmlRpc.createTransport(new URL(slow.url), {});
    const pending = c.call({ method: 'slow', params: [2000] });
    await new Promise((r) => setTimeout(r, 30));
    await c.close();
    expect(((await rejection(pending)) as TransportError).reason).toBe('closed');
    expect(((await rejection(c.call({ method: 'slow', params: [0] }))) as TransportError).reason).toBe(
      'closed',
    );
  });

  it('reports HTTP errors with their status and refused connections as connect', async () => {
    const c = xmlRpc.createTransport(new URL(demo.url.replace('/RPC2', '/nowhere')), {});
    const err = await rejection(c.call({ method: 'add', params: [1, 2] }));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).reason).toBe('http');
    expect((err as TransportError).status).toBe(404);
    await c.close();
    const port = await freePort();
    const refused = xmlRpc.createTransport(new URL(`http://127.0.0.1:${port}/RPC2`), {});
    expect(
      ((await rejection(refused.call({ method: 'add', params: [1, 2] }))) as TransportError).reason,
    ).toBe('connect');
    await refused.close();
  });

  it('reports a reply that is not a methodResponse as ResponseError, and one too large as limit', async () => {
    const bodies = ['<html>oops</html>', 'not xml at all', 'x'.repeat(2048)];
    let next = 0;
    const bad = http.createServer((_req, res) => {
      const body = bodies[next++ % bodies.length]!;
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    const c = xmlRpc.createTransport(new URL(`http://127.0.0.1:${(bad.address() as AddressInfo).port}/`), {
      maxMessageBytes: 1024,
    });
    try {
      expect(await rejection(c.call({ method: 'add', params: [1, 2] }))).toBeInstanceOf(ResponseError);
      expect(await rejection(c.call({ method: 'add', params: [1, 2] }))).toBeInstanceOf(ResponseError);
      expect(((await rejection(c.call({ method: 'add', params: [1, 2] }))) as TransportError).reason).toBe(
        'limit',
      );
    } finally {
      await c.close();
      await closeServer(bad);
    }
  });

  it('resends a call marked idempotent once when its connection fails; never one that is not', async () => {
    const served = new WeakMap<object, number>();
    let requests = 0;
    const flaky = http.createServer((req, res) => {
      requests++;
      const n = served.get(req.socket) ?? 0;
      served.set(req.socket, n + 1);
      if (n >= 1) {
        req.socket.destroy(); // as if the idle timeout fired just as the request arrived
        return;
      }
      req.resume();
      req.on('end', () => {
        const body =
          '<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>';
        res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const c = xmlRpc.createTransport(
      new URL(`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`),
      {},
    );
    try {
      expect(await c.call({ method: 'one', params: [] })).toBe(1);
      // It may have reached the server: not resent, and the error says so.
      await expect(c.call({ method: 'two', params: [] })).rejects.toMatchObject({
        name: 'TransportError',
        reason: 'closed',
        message: expect.stringMatching(/outcome is unknown/),
      });
      expect(requests).toBe(2);
      expect(await c.call({ method: 'three', params: [] })).toBe(1); // a fresh socket
      // Marked idempotent: the reused socket is reset, and the call goes once more.
      expect(await c.call({ method: 'four', params: [] }, { idempotent: true })).toBe(1);
      expect(requests).toBe(5);
    } finally {
      await c.close();
      await closeServer(flaky);
    }
  });

  it('accepts xmlrpc+http URLs and rejects other schemes', async () => {
    const prefixed = xmlRpc.createTransport(new URL(demo.url.replace('http:', 'xmlrpc+http:')), {});
    try {
      expect(await prefixed.call({ method: 'add', params: [20, 22] })).toBe(42);
    } finally {
      await prefixed.close();
    }
    expect(() => xmlRpc.createTransport(new URL('tcp://127.0.0.1:1'), {})).toThrow(TypeError);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
