/**
 * Hostile input against the JSON-RPC TCP server: each gets its error, the server
 * stays up, and a bystander connection keeps working throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { Code } from '../../src/rpc/errors.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { jsonRpc } from '../../src/transport/jsonrpc/index.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { defaultLimits } from '../../src/transport/types.js';
import { connectLines, type LineSocket } from '../transport/jsonrpc/lines.js';

let server: StreamServer;
let port: number;
let bystander: LineSocket;
let seq = 0;

beforeAll(async () => {
  server = serveStream(jsonRpc, createRegistry(createDemoService()), defaultLimits);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
  bystander = await connectLines(port);
});

afterAll(async () => {
  bystander.close();
  await server.drain(1000);
});

/** stillServing checks the bystander connection and a fresh one both answer. */
async function stillServing(): Promise<void> {
  const id = ++seq;
  bystander.send(`{"jsonrpc":"2.0","method":"add","params":[${id},1],"id":${id}}`);
  expect(JSON.parse(await bystander.next())).toEqual({ jsonrpc: '2.0', id, result: id + 1 });
  const fresh = await connectLines(port);
  fresh.send('{"jsonrpc":"2.0","method":"add","params":[2,2],"id":"fresh"}');
  expect(JSON.parse(await fresh.next())).toEqual({ jsonrpc: '2.0', id: 'fresh', result: 4 });
  fresh.close();
}

/** drained resolves on the socket's next 'drain' (a reset shows up as `closed` instead). */
const drained = (sock: LineSocket): Promise<void> =>
  new Promise((resolve) => {
    sock.socket.once('drain', resolve);
  });

const errorOf = (line: string): { id: unknown; code: number } => {
  const r = JSON.parse(line) as { id: unknown; error: { code: number; message: string } };
  expect(typeof r.error.message).toBe('string');
  return { id: r.id, code: r.error.code };
};

describe('hostile input over JSON-RPC/TCP', () => {
  it('answers invalid UTF-8 with -32700 and keeps the connection', async () => {
    const sock = await connectLines(port);
    try {
      for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
        sock.send(
          Buffer.concat([
            Buffer.from('{"jsonrpc":"2.0","method":"echo","params":["'),
            Buffer.from(bad),
            Buffer.from('"],"id":1}\n'),
          ]),
        );
        expect(errorOf(await sock.next())).toEqual({ id: null, code: Code.ParseError });
      }
      sock.send('{"jsonrpc":"2.0","method":"echo","params":["ok é"],"id":2}');
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 2, result: 'ok é' });
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('cuts off an unterminated 50 MB line after an error, without buffering it', async () => {
    const sock = await connectLines(port);
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const before = process.memoryUsage().arrayBuffers;
    let ended = false;
    void sock.ended.then(() => {
      ended = true;
    });
    let sent = 0;
    let peak = 0;
    sock.send(Buffer.from('{"jsonrpc":"2.0","method":"echo","id":1,"params":["'));
    try {
      // Bounded: at most 50 MB in 64 KiB chunks, honouring backpressure, until the server ends.
      while (sent < 50 * 1024 * 1024 && !ended) {
        if (!sock.socket.write(chunk)) await Promise.race([drained(sock), sock.ended]);
        sent += chunk.length;
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      }
      expect(errorOf(await sock.next())).toEqual({ id: null, code: Code.InvalidRequest });
      await sock.ended;
      expect(sent).toBeLessThan(50 * 1024 * 1024);
      // The server held at most one line's worth (4 MiB) plus socket buffers.
      expect(peak).toBeLessThan(24 * 1024 * 1024);
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('refuses a 100,000-element batch as a whole, and keeps the connection', async () => {
    const sock = await connectLines(port);
    try {
      sock.send(`[${Array(100_000).fill('{}').join(',')}]`);
      const err = errorOf(await sock.next());
      expect(err).toEqual({ id: null, code: Code.LimitExceeded });
      sock.send('{"jsonrpc":"2.0","method":"add","params":[1,2],"id":3}');
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 3, result: 3 });
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('answers a batch at the limit with one reply per call', async () => {
    const sock = await connectLines(port);
    try {
      const n = defaultLimits.maxBatch;
      const calls = Array.from(
        { length: n },
        (_, i) => `{"jsonrpc":"2.0","method":"add","params":[${i},0],"id":${i}}`,
      );
      sock.send(`[${calls.join(',')}]`);
      const replies = JSON.parse(await sock.next()) as { id: number; result: number }[];
      expect(replies).toHaveLength(n);
      expect(replies.every((r) => r.result === r.id)).toBe(true);
    } finally {
      sock.close();
    }
  });

  it('never reaches anything through __proto__ and friends', async () => {
    const sock = await connectLines(port);
    try {
      sock.send('{"method":"__proto__"}');
      expect(errorOf(await sock.next())).toEqual({ id: null, code: Code.InvalidRequest });
      for (const [i, method] of [
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'add.call',
      ].entries()) {
        sock.send(JSON.stringify({ jsonrpc: '2.0', method, params: [], id: i }));
        expect(errorOf(await sock.next())).toEqual({ id: i, code: Code.MethodNotFound });
      }
      sock.send('{"jsonrpc":"2.0","method":"add","params":{"__proto__":{"a":1},"b":2},"id":9}');
      expect(errorOf(await sock.next())).toEqual({ id: 9, code: Code.InvalidParams });
      sock.send('{"jsonrpc":"2.0","method":"echo","params":[{"__proto__":{"polluted":true}}],"id":10}');
      const echoed = JSON.parse(await sock.next()) as { result: Record<string, unknown> };
      expect(echoed.result).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('answers params of the wrong type with -32600 or -32602', async () => {
    const sock = await connectLines(port);
    const cases: [string, number][] = [
      ['"params":"x"', Code.InvalidRequest],
      ['"params":5', Code.InvalidRequest],
      ['"params":null', Code.InvalidRequest],
      ['"params":["a","b"]', Code.InvalidParams],
      ['"params":[1]', Code.InvalidParams],
      ['"params":[1,2,3]', Code.InvalidParams],
      ['"params":{"a":1}', Code.InvalidParams],
      ['"params":{"a":1,"b":2,"c":3}', Code.InvalidParams],
      ['"params":[{"a":1},[]]', Code.InvalidParams],
    ];
    try {
      for (const [i, [params, code]] of cases.entries()) {
        sock.send(`{"jsonrpc":"2.0","method":"add",${params},"id":${i}}`);
        expect(errorOf(await sock.next())).toEqual({ id: i, code });
      }
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('refuses nesting deeper than the limit', async () => {
    const sock = await connectLines(port);
    try {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      sock.send(`{"jsonrpc":"2.0","method":"echo","params":[${deep}],"id":"deep"}`);
      expect(errorOf(await sock.next())).toEqual({ id: 'deep', code: Code.LimitExceeded });
    } finally {
      sock.close();
    }
    await stillServing();
  });

  it('never answers a failing notification', async () => {
    const sock = await connectLines(port);
    try {
      sock.send('{"jsonrpc":"2.0","method":"nope"}');
      sock.send('{"jsonrpc":"2.0","method":"add","params":["x"]}');
      sock.send('[{"jsonrpc":"2.0","method":"nope"},{"jsonrpc":"2.0","method":"add","params":[]}]');
      sock.send('{"jsonrpc":"2.0","method":"add","params":[1,1],"id":"after"}');
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 'after', result: 2 });
    } finally {
      sock.close();
    }
  });
});

describe('connection limits over JSON-RPC/TCP', () => {
  const limits = { ...defaultLimits, idleTimeoutMs: 150, maxBufferedBytes: 256 * 1024 };
  let small: StreamServer;
  let smallPort: number;

  beforeAll(async () => {
    small = serveStream(jsonRpc, createRegistry(createDemoService()), limits);
    await new Promise<void>((resolve) => small.server.listen(0, '127.0.0.1', resolve));
    smallPort = (small.server.address() as { port: number }).port;
  });
  afterAll(() => small.drain(1000));

  it('closes an idle connection', async () => {
    const sock = await connectLines(smallPort);
    const started = Date.now();
    await sock.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('cuts off a client that never reads its responses', async () => {
    const sock = await connectLines(smallPort);
    sock.socket.pause(); // never read
    const request = Buffer.from(
      `${JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: ['x'.repeat(16 * 1024)], id: 1 })}\n`,
    );
    let closed = false;
    void sock.closed.then(() => {
      closed = true;
    });
    // Bounded: at most 64 MiB of responses asked for.
    for (let i = 0; i < 4096 && !closed; i++) {
      if (!sock.socket.write(request)) await Promise.race([drained(sock), sock.closed]);
    }
    await sock.closed;
    expect(closed).toBe(true);
    await stillServing();
  });
});
