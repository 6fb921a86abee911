/**
 * Our msgpack client against our msgpack server over loopback TCP: calls, errors,
 * every value kind, pipelining, timeouts, aborts, close, push, the typed proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, type DemoService, UNKNOWN_SPECIES } from '../../../src/demo/service.js';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import { createRegistry } from '../../../src/rpc/registry.js';
import { defineService, param, procedure } from '../../../src/rpc/service.js';
import { createClient } from '../../../src/sdk/index.js';
import { TransportError } from '../../../src/transport/errors.js';
import { protocolFor } from '../../../src/transport/index.js';
import { msgPack } from '../../../src/transport/msgpack/index.js';
import { type StreamServer, serveStream } from '../../../src/transport/stream-server.js';
import { type ClientTransport, defaultLimits } from '../../../src/transport/types.js';

const slowService = defineService({
  sleep: procedure({
    doc: 'sleep(ms) resolves after ms, or when the connection goes away.',
    params: [param('ms', z.number())],
    result: z.number(),
    handler: ({ ms }, ctx) =>
      new Promise<number>((resolve) => {
        const t = setTimeout(() => resolve(ms), ms);
        ctx.signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      }),
  }),
});

let demo: StreamServer;
let slow: StreamServer;
let url: string;
let slowUrl: string;

const listen = async (s: StreamServer): Promise<number> => {
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  return (s.server.address() as { port: number }).port;
};

beforeAll(async () => {
  demo = serveStream(msgPack, createRegistry(createDemoService()), defaultLimits);
  slow = serveStream(msgPack, createRegistry(slowService), defaultLimits);
  url = `msgpack://127.0.0.1:${await listen(demo)}`;
  slowUrl = `msgpack+tcp://127.0.0.1:${await listen(slow)}`;
});

afterAll(async () => {
  await demo.drain(1000);
  await slow.drain(1000);
});

const open = (u = url): ClientTransport => msgPack.createTransport(new URL(u), {});

describe('msgpack client ↔ server', () => {
  it('is picked by protocolFor for both schemes', () => {
    expect(protocolFor(new URL('msgpack://h:1'))).toBe(msgPack);
    expect(protocolFor(new URL('msgpack+tcp://h:1'))).toBe(msgPack);
    expect(msgPack.stream?.defaultPort).toBe(8002);
    expect(() => msgPack.createTransport(new URL('tcp://h:1'), {})).toThrow(/no transport/);
  });

  it('calls with positional and named params', async () => {
    const t = open();
    try {
      expect(await t.call({ method: 'add', params: [2, 3] })).toBe(5);
      expect(await t.call({ method: 'add', params: { a: 1.5, b: 2 } })).toBe(3.5);
      expect(await t.call({ method: 'hypotenuse', params: [3, 4] })).toBe(5);
      expect(await t.call({ method: 'credentials.lookup', params: ['Dalek'] })).toBe('Davros');
    } finally {
      await t.close();
    }
  });

  it('turns error responses into RpcError with code and data', async () => {
    const t = open();
    try {
      await expect(t.call({ method: 'credentials.lookup', params: ['Gallifreyan'] })).rejects.toMatchObject({
        name: 'RpcError',
        code: UNKNOWN_SPECIES,
        message: 'Unknown species: Gallifreyan',
      });
      await expect(t.call({ method: 'nope', params: [] })).rejects.toMatchObject({
        code: Code.MethodNotFound,
      });
      const err = await t.call({ method: 'add', params: ['x', 1] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe(Code.InvalidParams);
      expect(Array.isArray((err as RpcError).data)).toBe(true);
      // The connection is still good after errors.
      expect(await t.call({ method: 'add', params: [1, 1] })).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('echoes every value kind exactly', async () => {
    const t = open();
    const value = {
      nil: null,
      yes: true,
      no: false,
      ints: [0, -1, 127, 255, -129, 2 ** 31, 2 ** 32, -(2 ** 40), 2 ** 53, Number.MAX_SAFE_INTEGER],
      big: [2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 64n - 1n],
      floats: [0.5, -1.25, 1e300, Number.POSITIVE_INFINITY],
      str: 'héllo ✓ 𝄞',
      bin: new Uint8Array([0, 1, 0xcb, 0xff]),
      list: [[], {}, [1, [2, [3]]]],
      dates: [
        new Date(0),
        new Date(-1500),
        new Date('1900-06-01T12:00:00.123Z'),
        new Date('2200-01-01T00:00:00.999Z'),
      ],
    };
    try {
      const back = (await t.call({ method: 'echo', params: [value] })) as typeof value;
      expect({ ...back, bin: new Uint8Array(back.bin) }).toEqual(value);
      expect(Number.isNaN(await t.call({ method: 'echo', params: [Number.NaN] }))).toBe(true);
      expect(await t.call({ method: 'echo', params: [undefined] })).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('echoes a __proto__ key as data without touching prototypes', async () => {
    const t = open();
    try {
      const sent = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
      const back = (await t.call({ method: 'echo', params: [sent] })) as Record<string, unknown>;
      expect(Object.keys(back)).toEqual(['__proto__', 'ok']);
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it('echoes 1 MB of binary', async () => {
    const t = open();
    try {
      const bytes = new Uint8Array(1 << 20);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
      const back = (await t.call({ method: 'echo', params: [bytes] })) as Uint8Array;
      expect(back.length).toBe(bytes.length);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('pipelines 1000 calls in flight on one connection and matches every reply', async () => {
    const t = open();
    try {
      const got = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => t.call({ method: 'add', params: [i, 1] })),
      );
      expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    } finally {
      await t.close();
    }
  });

  it('times out a slow call and keeps the connection for the next', async () => {
    const t = open(slowUrl);
    try {
      const err = await t.call({ method: 'sleep', params: [2000] }, { timeout: 50 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).reason).toBe('timeout');
      expect(await t.call({ method: 'sleep', params: [1] })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('aborts a call by AbortSignal, before and during', async () => {
    const t = open(slowUrl);
    try {
      const before = new AbortController();
      before.abort();
      await expect(t.call({ method: 'sleep', params: [1] }, { signal: before.signal })).rejects.toMatchObject(
        {
          reason: 'aborted',
        },
      );
      const during = new AbortController();
      const pending = t.call({ method: 'sleep', params: [2000] }, { signal: during.signal });
      setTimeout(() => during.abort(), 20);
      await expect(pending).rejects.toMatchObject({ name: 'TransportError', reason: 'aborted' });
    } finally {
      await t.close();
    }
  });

  it('rejects calls in flight when closed, and calls after close', async () => {
    const t = open(slowUrl);
    const inFlight = Promise.allSettled([1, 2, 3].map(() => t.call({ method: 'sleep', params: [2000] })));
    await new Promise((r) => setTimeout(r, 20));
    await t.close();
    for (const r of await inFlight) {
      expect(r.status).toBe('rejected');
      expect(r.status === 'rejected' && r.reason).toMatchObject({ name: 'TransportError', reason: 'closed' });
    }
    await expect(t.call({ method: 'sleep', params: [1] })).rejects.toMatchObject({ reason: 'closed' });
  });

  it('fails with a connect TransportError when nothing listens', async () => {
    const s = serveStream(msgPack, createRegistry(slowService), defaultLimits);
    const port = await listen(s);
    await s.drain(100);
    const t = open(`msgpack://127.0.0.1:${port}`);
    try {
      await expect(t.call({ method: 'sleep', params: [1] })).rejects.toMatchObject({ reason: 'connect' });
    } finally {
      await t.close();
    }
  });

  it('delivers chat messages pushed to a subscribed room, then unsubscribes', async () => {
    const listener = open();
    const sender = open();
    try {
      const sub = listener.subscribe!({ method: 'chat.subscribe', params: ['tardis'] });
      await sub.ready;
      const sent = await sender.call({ method: 'chat.send', params: ['tardis', 'Allons-y!', 'Ten'] });
      const first = await sub.next();
      expect(first.done).toBe(false);
      expect(first.value).toMatchObject({ room: 'tardis', nick: 'Ten', text: 'Allons-y!' });
      expect((first.value as { at: unknown }).at).toBeInstanceOf(Date);
      expect(first.value).toEqual(sent);
      await sub.close();
      expect((await sub.next()).done).toBe(true);
      // The server dropped the subscription: rpc.unsubscribe of it now says false.
      const again = listener.subscribe!({ method: 'chat.subscribe', params: ['other'] });
      await again.ready;
      await again.close();
    } finally {
      await listener.close();
      await sender.close();
    }
  });

  it('sends notifications that run but get no reply', async () => {
    const t = open();
    try {
      await t.notify!({ method: 'chat.send', params: ['quiet-room', 'psst'] });
      let history: unknown[] = [];
      for (let i = 0; i < 50 && history.length === 0; i++) {
        history = (await t.call({ method: 'chat.history', params: ['quiet-room'] })) as unknown[];
        if (history.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(history).toMatchObject([{ room: 'quiet-room', text: 'psst' }]);
    } finally {
      await t.close();
    }
  });

  it('works through the typed proxy, batch and subscription included', async () => {
    const rpc = createClient<DemoService>(url);
    try {
      expect(await rpc.add(3, 5)).toBe(8);
      expect(await rpc.hypotenuse(5, 12)).toBe(13);
      const [a, b] = await rpc.$batch((b) => [b.add(1, 1), b.credentials.lookup('Nobody')] as const);
      expect(a).toEqual({ ok: true, value: 2 });
      expect(b.ok === false && b.error.code).toBe(UNKNOWN_SPECIES);
      const sub = rpc.chat.subscribe('proxy-room');
      await sub.ready;
      await rpc.chat.send('proxy-room', 'hello');
      for await (const m of sub) {
        expect(m.text).toBe('hello');
        break;
      }
    } finally {
      await rpc.$close();
    }
  });
});
