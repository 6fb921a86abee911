/**
 * The shared TCP session and message client with a minimal line codec
 * defined here, so the loop's own contract is tested apart from any protocol:
 * pipelining, half-close, slow readers, drain, timeouts, close.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Code, RpcError } from '../../src/rpc/errors.js';
import type { Reply } from '../../src/rpc/message.js';
import { createRegistry, type Logger } from '../../src/rpc/registry.js';
import { defineService, param, procedure, subscription } from '../../src/rpc/service.js';
import { TransportError } from '../../src/transport/errors.js';
import { createStreamServer, type StreamServer } from '../../src/transport/stream-server.js';
import { createTcpTransport } from '../../src/transport/tcp-connection.js';
import {
  defaultLimits,
  FrameError,
  type Framer,
  type Limits,
  type StreamClientCodec,
  type StreamServerCodec,
} from '../../src/transport/types.js';

// A line protocol: one JSON array per line. Request [id, method, params]; reply [id, error, result]; push ["push", sub, event].
const lines = (max: number): Framer => {
  let held: Buffer[] = [];
  let size = 0;
  return {
    get pending() {
      return size;
    },
    push(chunk: Buffer, onFrame: (frame: Buffer) => void) {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const part = chunk.subarray(start, nl);
        onFrame(held.length ? Buffer.concat([...held, part]) : part);
        held = [];
        size = 0;
        start = nl + 1;
      }
      if (start < chunk.length) {
        size += chunk.length - start;
        if (size > max) throw new FrameError('line too long', Buffer.from('["error","too long"]\n'));
        held.push(chunk.subarray(start));
      }
    },
  };
};
const enc = (v: unknown): Buffer => Buffer.from(`${JSON.stringify(v)}\n`);
const serverCodec: StreamServerCodec = {
  createFramer: (limits) => lines(limits.maxMessageBytes),
  decode(frame) {
    try {
      const [id, method, params] = JSON.parse(frame.toString()) as [number | undefined, string, unknown[]];
      return { kind: 'call', call: id === null ? { method, params } : { id, method, params } };
    } catch {
      return {
        kind: 'reply',
        reply: { id: null, ok: false, error: new RpcError(Code.ParseError, 'bad json') },
      };
    }
  },
  encodeReply: (r: Reply) => enc(r.ok ? [r.id, null, r.result] : [r.id, r.error.toShape(), null]),
  encodePush: (p) =>
    enc(
      p.kind === 'goaway'
        ? ['rpc.goaway', p.reason, p.deadlineMs]
        : p.kind === 'event'
          ? ['rpc.event', p.subscription, p.event]
          : ['rpc.end', p.subscription, p.error?.toShape()],
    ),
};
const clientCodec: StreamClientCodec = {
  createFramer: (max) => lines(max),
  encodeCall: (id, c) => enc([id, c.method, c.params]),
  encodeNotify: (c) => enc([null, c.method, c.params]),
  decode(frame) {
    const msg = JSON.parse(frame.toString()) as unknown[];
    if (msg[0] === 'rpc.event')
      return { kind: 'push', push: { kind: 'event', subscription: msg[1] as number, event: msg[2] } };
    if (msg[0] === 'rpc.end') return { kind: 'push', push: { kind: 'end', subscription: msg[1] as number } };
    const [id, error, result] = msg as [number, { code: number; message: string } | null, unknown];
    return {
      kind: 'reply',
      reply: error
        ? { id, ok: false, error: new RpcError(error.code, error.message) }
        : { id, ok: true, result },
    };
  },
};

const quiet: Logger = { debug() {}, error() {} };
const service = defineService({
  sleep: procedure({
    doc: 'sleeps ms then returns it',
    params: [param('ms', z.number().int().min(0).max(5000))],
    result: z.number(),
    handler: ({ ms }, ctx) =>
      new Promise<number>((resolve) => {
        const t = setTimeout(() => resolve(ms), ms);
        ctx.signal.addEventListener('abort', () => clearTimeout(t));
      }),
  }),
  blob: procedure({
    doc: 'returns n bytes of text',
    params: [
      param(
        'n',
        z
          .number()
          .int()
          .max(1 << 20),
      ),
    ],
    result: z.string(),
    handler: ({ n }) => 'x'.repeat(n),
  }),
  count: subscription({
    doc: 'pushes 0..n-1',
    params: [param('n', z.number().int())],
    event: z.number(),
    async *handler({ n }) {
      for (let i = 0; i < n; i++) yield i;
    },
  }),
});

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function start(limits: Partial<Limits> = {}) {
  const stream = createStreamServer(
    createRegistry(service, { logger: quiet }),
    serverCodec,
    { ...defaultLimits, ...limits },
    'test',
  );
  await new Promise<void>((r) => stream.server.listen(0, '127.0.0.1', r));
  const port = (stream.server.address() as { port: number }).port;
  started.push({ close: () => stream.drain(500) });
  const client = (timeout?: number) => {
    const c = createTcpTransport(new URL(`tcp://127.0.0.1:${port}`), 'test', clientCodec, port, { timeout });
    started.unshift({ close: () => c.close() });
    return c;
  };
  return { stream, port, client };
}

const raw = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
const readAll = (s: Socket): Promise<string> =>
  new Promise((resolve) => {
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
    });
    s.on('close', () => resolve(out));
  });

describe('stream loop', () => {
  it('pipelines many calls on one connection; replies may come back out of order', async () => {
    const { client } = await start();
    const c = client();
    const order: number[] = [];
    const calls = [30, 0, 15, 5].map((ms) =>
      c.call({ method: 'sleep', params: [ms] }).then((v) => {
        order.push(v as number);
        return v;
      }),
    );
    expect(await Promise.all(calls)).toEqual([30, 0, 15, 5]);
    expect(order).toEqual([0, 5, 15, 30]);
    const many = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => c.call({ method: 'sleep', params: [i % 2] })),
    );
    expect(many.length).toBe(2000);
  });

  it('answers a peer that half-closes after its request', async () => {
    const { port } = await start();
    const s = await raw(port);
    const reply = readAll(s);
    s.end(enc([7, 'sleep', [20]]));
    expect(JSON.parse(await reply)).toEqual([7, null, 20]);
  });

  it('a bad frame gets an error reply and the loop goes on', async () => {
    const { port } = await start();
    const s = await raw(port);
    const reply = readAll(s);
    s.write('not json\n');
    s.end(enc([1, 'sleep', [0]]));
    const got = (await reply)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(got[0][1].code).toBe(Code.ParseError);
    expect(got[1]).toEqual([1, null, 0]);
  });

  it('an over-long frame gets the framer error and the connection closes', async () => {
    const { port, client } = await start({ maxMessageBytes: 1024 });
    const s = await raw(port);
    const reply = readAll(s);
    s.write('x'.repeat(5000));
    expect(await reply).toBe('["error","too long"]\n');
    expect(await client().call({ method: 'sleep', params: [0] })).toBe(0); // server still up
  });

  it('cuts off a peer that never reads its replies', async () => {
    const { port, client } = await start({ maxBufferedBytes: 256 * 1024 });
    const s = await raw(port);
    s.pause();
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    for (let i = 0; i < 200; i++) s.write(enc([i, 'blob', [64 * 1024]]));
    await closed; // 200 x 64 KiB of replies would be 12.5 MiB
    expect(await client().call({ method: 'sleep', params: [0] })).toBe(0);
  });

  it('closes idle connections', async () => {
    const { port } = await start({ idleTimeoutMs: 100 });
    const s = await raw(port);
    const t0 = Date.now();
    await readAll(s);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(80);
  });

  it('drain lets calls in flight finish, then closes', async () => {
    const { stream, client } = await start();
    const c = client();
    const slow = c.call({ method: 'sleep', params: [100] });
    await new Promise((r) => setTimeout(r, 20));
    await stream.drain(2000);
    expect(await slow).toBe(100);
  });

  it('client: timeout, abort, close and a refused connection are TransportErrors', async () => {
    const { client } = await start();
    const c = client();
    await expect(c.call({ method: 'sleep', params: [500] }, { timeout: 30 })).rejects.toMatchObject({
      reason: 'timeout',
    });
    const ac = new AbortController();
    const aborted = c.call({ method: 'sleep', params: [500] }, { signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ reason: 'aborted' });
    const inFlight = expect(c.call({ method: 'sleep', params: [500] })).rejects.toMatchObject({
      reason: 'closed',
    });
    await c.close();
    await inFlight;
    await expect(c.call({ method: 'sleep', params: [0] })).rejects.toBeInstanceOf(TransportError);

    const dead = createTcpTransport(new URL('tcp://127.0.0.1:1'), 'test', clientCodec, 1);
    await expect(dead.call({ method: 'sleep', params: [0] })).rejects.toMatchObject({ reason: 'connect' });
  });

  it('client: an argument the codec cannot encode fails that call at once and leaves nothing pending', async () => {
    const { client } = await start();
    const c = client(50);
    await expect(c.call({ method: 'sleep', params: [10n] })).rejects.toThrow(TypeError);
    // Had the entry lingered, its 50 ms timeout would fire as an unhandled rejection.
    await new Promise((r) => setTimeout(r, 100));
    expect(await c.call({ method: 'sleep', params: [0] })).toBe(0);
  });

  it('client: subscriptions receive pushes after the reply, then end', async () => {
    const { client } = await start();
    const sub = client().subscribe!({ method: 'count', params: [5] });
    const got: unknown[] = [];
    for await (const n of sub) got.push(n);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});
