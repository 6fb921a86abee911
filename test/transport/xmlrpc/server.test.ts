import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_SPECIES } from '../../../src/demo/service.js';
import { Code } from '../../../src/rpc/errors.js';
import { drainHttpServer } from '../../../src/transport/http.js';
import { decodeResponse, encodeCall } from '../../../src/transport/xmlrpc/codec.js';
import { closeServer, post, type RawReply, slowService, startServer } from './helpers.js';

let port: number;
let server: http.Server;

beforeAll(async () => {
  ({ server, port } = await startServer({ maxBatch: 5, maxMessageBytes: 64 * 1024 }));
});
afterAll(() => closeServer(server));

async function rpc(
  method: string,
  params: unknown[],
  path = '/RPC2',
): Promise<ReturnType<typeof decodeResponse>> {
  const reply = await post(port, encodeCall(method, params), { path });
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('text/xml');
  expect(Number(reply.headers['content-length'])).toBe(reply.bytes);
  return decodeResponse(reply.body);
}

function faultOf(settled: ReturnType<typeof decodeResponse>): { code: number; message: string } {
  if (settled.ok) throw new Error(`expected a fault, got ${JSON.stringify(settled.value)}`);
  return { code: settled.error.code, message: settled.error.message };
}

describe('xmlrpc server: calls', () => {
  it('answers add, hypotenuse and credentials.lookup on /RPC2 and /', async () => {
    expect(await rpc('add', [3, 5])).toEqual({ ok: true, value: 8 });
    expect(await rpc('hypotenuse', [3, 4], '/')).toEqual({ ok: true, value: 5 });
    expect(await rpc('credentials.lookup', ['Time Lord'], '/?x=1')).toEqual({ ok: true, value: 'Rassilon' });
  });

  it('echoes every type', async () => {
    const value = {
      int: 7,
      i8: 2 ** 40,
      big: 2n ** 62n,
      double: 0.25,
      bool: false,
      text: 'a < b & "c" ☃\r\n',
      nil: null,
      when: new Date(Date.UTC(2001, 8, 9, 1, 46, 40)),
      bytes: new Uint8Array([0, 128, 255]),
      list: [1, 'two', [3]],
      nested: { deeper: { deepest: true } },
    };
    expect(await rpc('echo', [value])).toEqual({ ok: true, value });
  });

  it('turns RpcErrors into faults with the same code and message', async () => {
    expect(faultOf(await rpc('credentials.lookup', ['Tardis']))).toEqual({
      code: UNKNOWN_SPECIES,
      message: 'Unknown species: Tardis',
    });
    expect(faultOf(await rpc('nope', [])).code).toBe(Code.MethodNotFound);
    expect(faultOf(await rpc('add', [1])).code).toBe(Code.InvalidParams);
    expect(faultOf(await rpc('add', ['1', 2])).code).toBe(Code.InvalidParams);
  });

  it('refuses a subscription with a fault that points to chat.history', async () => {
    const f = faultOf(await rpc('chat.subscribe', ['lobby']));
    expect(f.code).toBe(Code.Unsupported);
    expect(f.message).toContain('chat.history');
  });

  it('serves introspection with XML-RPC type names', async () => {
    const list = await rpc('system.listMethods', []);
    expect(list.ok && list.value).toEqual(
      expect.arrayContaining(['add', 'hypotenuse', 'credentials.lookup', 'echo', 'system.multicall']),
    );
    expect(await rpc('system.methodSignature', ['hypotenuse'])).toEqual({
      ok: true,
      value: [
        ['int', 'int', 'int'],
        ['double', 'double', 'double'],
      ],
    });
    const help = await rpc('system.methodHelp', ['add']);
    expect(help.ok && help.value).toMatch(/sum/);
  });
});

describe('xmlrpc server: system.multicall', () => {
  it('wraps results in one-element arrays and puts faults in place', async () => {
    const settled = await rpc('system.multicall', [
      [
        { methodName: 'add', params: [1, 2] },
        { methodName: 'credentials.lookup', params: ['Nobody'] },
        { methodName: 'system.multicall', params: [[]] },
        { methodName: 'hypotenuse', params: [6, 8] },
        'not a struct',
      ],
    ]);
    expect(settled.ok).toBe(true);
    const results = (settled as { value: unknown[] }).value;
    expect(results[0]).toEqual([3]);
    expect(results[1]).toEqual({ faultCode: UNKNOWN_SPECIES, faultString: 'Unknown species: Nobody' });
    expect((results[2] as { faultCode: number }).faultCode).toBe(Code.InvalidRequest);
    expect(results[3]).toEqual([10]);
    expect((results[4] as { faultCode: number }).faultCode).toBe(Code.InvalidRequest);
  });

  it('refuses a batch over maxBatch and a malformed argument', async () => {
    const six = Array.from({ length: 6 }, () => ({ methodName: 'add', params: [1, 1] }));
    expect(faultOf(await rpc('system.multicall', [six])).code).toBe(Code.LimitExceeded);
    expect(faultOf(await rpc('system.multicall', ['x'])).code).toBe(Code.InvalidParams);
  });
});

describe('xmlrpc server: HTTP rules', () => {
  it('answers non-POST with 405 and Allow: POST, and unknown paths with 404', async () => {
    const get = await post(port, '', { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(Number(get.headers['content-length'])).toBe(get.bytes);
    const missing = await post(port, encodeCall('add', [1, 2]), { path: '/elsewhere' });
    expect(missing.status).toBe(404);
    expect(Number(missing.headers['content-length'])).toBe(missing.bytes);
  });

  it('answers not-well-formed XML with a -32700 fault over HTTP 200', async () => {
    for (const body of ['', 'not xml', '<methodCall>']) {
      const reply = await post(port, body);
      expect(reply.status).toBe(200);
      expect(faultOf(decodeResponse(reply.body)).code).toBe(Code.ParseError);
    }
  });

  it('answers 413 from Content-Length without reading the body', async () => {
    const reply = await post(port, 'x', { headers: { 'Content-Length': String(10 * 1024 * 1024) } }).catch(
      (err: Error) => err,
    );
    // The server answers before the (never sent) body; node's client may then see the close.
    if (reply instanceof Error) throw reply;
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
  });

  it('answers 413 while counting a chunked body, then serves the next request', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/RPC2', method: 'POST', agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      for (let i = 0; i < 8; i++) req.write(chunk); // 128 KiB > 64 KiB, no Content-Length
    });
    expect(status).toBe(413);
    expect(await rpc('add', [2, 2])).toEqual({ ok: true, value: 4 });
  });

  it('keeps connections alive between requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (): Promise<boolean> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/RPC2', method: 'POST', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.reusedSocket));
        });
        req.on('error', reject);
        req.end(encodeCall('add', [1, 1]));
      });
    expect(await send()).toBe(false);
    expect(await send()).toBe(true);
    agent.destroy();
  });
});

describe('xmlrpc server: timeouts and drain', () => {
  it('closes a connection whose request stalls past requestTimeoutMs', async () => {
    const slow = await startServer({ requestTimeoutMs: 300 });
    try {
      const started = Date.now();
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const socket = net.connect(slow.port, '127.0.0.1', () => {
          socket.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<methodCall>');
        });
        socket.on('data', () => {});
        socket.on('error', reject);
        socket.on('close', () => resolve(Date.now() - started));
      });
      expect(closedAfter).toBeGreaterThanOrEqual(250);
      expect(closedAfter).toBeLessThan(5000);
    } finally {
      await closeServer(slow.server);
    }
  });

  it('drains: a call in flight completes, then the server closes', async () => {
    const s = await startServer({}, slowService);
    const inFlight = post(s.port, encodeCall('slow', [300]));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await drainHttpServer(s.server, 3000);
    const reply: RawReply = await inFlight;
    expect(decodeResponse(reply.body)).toEqual({ ok: true, value: 'done' });
    expect(reply.headers.connection).toBe('close');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(s.server.listening).toBe(false);
  });

  it('drains: the deadline cuts a call that takes too long', async () => {
    const s = await startServer({}, slowService);
    const inFlight = post(s.port, encodeCall('slow', [3000])).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await drainHttpServer(s.server, 200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await inFlight).toBe('cut');
  });
});
