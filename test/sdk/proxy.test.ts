import { afterEach, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import type { Logger } from '../../src/rpc/registry.js';
import { createClient, createInProcessTransport } from '../../src/sdk/index.js';
import { TransportError } from '../../src/transport/errors.js';

const quiet: Logger = { debug() {}, error() {} };
const open: { $close(): Promise<void> }[] = [];
const client = (service = createDemoService({ idBase: 0 })) => {
  const rpc = createClient<DemoService>(createInProcessTransport(service, { logger: quiet }));
  open.push(rpc);
  return rpc;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.$close()));
});

const rejection = async (p: PromiseLike<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
};

describe('proxy: demo procedures', () => {
  it('add keeps integers integral and adds floats', async () => {
    const rpc = client();
    expect(await rpc.add(2, 3)).toBe(5);
    expect(await rpc.add(0.5, 0.25)).toBe(0.75);
    expect(await rpc.add(-7, 2)).toBe(-5);
  });

  it('hypotenuse', async () => {
    const rpc = client();
    expect(await rpc.hypotenuse(3, 4)).toBe(5);
    expect(await rpc.hypotenuse(0, 0)).toBe(0);
  });

  it.each([
    [-3, 4],
    [Number.NaN, 4],
    [Number.POSITIVE_INFINITY, 1],
    ['3' as unknown as number, 4],
  ])('hypotenuse(%s, %s) is invalid params', async (a, b) => {
    const rpc = client();
    const err = await rejection(rpc.hypotenuse(a, b));
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.InvalidParams);
  });

  it('credentials.lookup and its 404', async () => {
    const rpc = client();
    expect(await rpc.credentials.lookup('Time Lord')).toBe('Rassilon');
    expect(await rpc.credentials.lookup('Judoon')).toBe('Shadow Proclamation Convention 15 Enforcer');
    const err = (await rejection(rpc.credentials.lookup('Tribble'))) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect([err.code, err.message]).toEqual([404, 'Unknown species: Tribble']);
    expect(((await rejection(rpc.credentials.lookup(7 as unknown as string))) as RpcError).code).toBe(
      Code.InvalidParams,
    );
  });

  it('echo returns any value', async () => {
    const rpc = client();
    const value = {
      s: 'x',
      n: 1.5,
      b: true,
      z: null,
      a: [1, [2]],
      bin: new Uint8Array([1, 2]),
      at: new Date(0),
    };
    expect(await rpc.echo(value)).toEqual(value);
  });

  it('chat.send and chat.history, with afterId and limit', async () => {
    const rpc = client();
    const first = await rpc.chat.send('lobby', 'hello', 'amy');
    expect(first).toMatchObject({ id: 1, room: 'lobby', nick: 'amy', text: 'hello' });
    expect(first.at).toBeInstanceOf(Date);
    await rpc.chat.send('lobby', 'second');
    await rpc.chat.send('lobby', 'third', 'rory');
    expect((await rpc.chat.history('lobby')).map((m) => m.text)).toEqual(['hello', 'second', 'third']);
    expect((await rpc.chat.history('lobby', 1)).map((m) => m.id)).toEqual([2, 3]);
    expect((await rpc.chat.history('lobby', 0, 1)).map((m) => m.id)).toEqual([1]);
    expect(await rpc.chat.history('nowhere')).toEqual([]);
    expect(((await rejection(rpc.chat.history('lobby', 0, 0))) as RpcError).code).toBe(Code.InvalidParams);
    expect(((await rejection(rpc.chat.send('', 'x'))) as RpcError).code).toBe(Code.InvalidParams);
  });

  it('unknown and prototype-named methods are method-not-found', async () => {
    const rpc = client() as unknown as Record<string, (...a: unknown[]) => PromiseLike<unknown>> & {
      credentials: Record<string, (...a: unknown[]) => PromiseLike<unknown>>;
    };
    const proto = ['__', 'proto', '__'].join('');
    for (const call of [
      rpc.nope,
      rpc.toString,
      rpc.valueOf,
      rpc.credentials[proto],
      rpc.credentials.constructor,
    ]) {
      expect(((await rejection(call!())) as RpcError).code).toBe(Code.MethodNotFound);
    }
  });
});

describe('proxy: shape', () => {
  it('is not a thenable, so it can be returned from async functions', async () => {
    const rpc = client();
    expect((rpc as unknown as { then?: unknown }).then).toBeUndefined();
    expect((rpc.credentials as unknown as { then?: unknown }).then).toBeUndefined();
    const same = await (async () => rpc)();
    expect(await same.add(1, 1)).toBe(2);
  });

  it('$with applies a timeout; an aborted signal fails the call', async () => {
    const rpc = client();
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(rpc.$with({ signal: controller.signal }).add(1, 2));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).reason).toBe('aborted');
  });

  it('$close rejects later calls with a closed TransportError', async () => {
    const rpc = client();
    await rpc.$close();
    const err = await rejection(rpc.add(1, 2));
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).reason).toBe('closed');
  });

  it('$batch settles each call in order', async () => {
    const rpc = client();
    const [a, b, c] = await rpc.$batch((b) => [
      b.add(1, 2),
      b.credentials.lookup('Nobody'),
      b.hypotenuse(3, 4),
    ]);
    expect(a).toEqual({ ok: true, value: 3 });
    expect(b.ok).toBe(false);
    if (!b.ok) expect([b.error.code, b.error.message]).toEqual([404, 'Unknown species: Nobody']);
    expect(c).toEqual({ ok: true, value: 5 });
  });
});

describe('proxy: subscriptions', () => {
  it('receives messages sent after it started and ends when the consumer breaks out', async () => {
    const service = createDemoService();
    const rpc = client(service);
    await rpc.chat.send('tardis', 'before');
    const sub = rpc.chat.subscribe('tardis');
    await sub.ready;
    const sender = client(service);
    await sender.chat.send('tardis', 'one', 'amy');
    await sender.chat.send('tardis', 'two', 'rory');
    const got: string[] = [];
    for await (const m of sub) {
      got.push(`${m.nick}: ${m.text}`);
      if (got.length === 2) break;
    }
    expect(got).toEqual(['amy: one', 'rory: two']);
    // The break unsubscribed: the server side no longer holds the subscriber.
    await sender.chat.send('tardis', 'three');
    expect((await sub.next()).done).toBe(true);
  });

  it('several subscribers each get every message once, in order', async () => {
    const service = createDemoService();
    const [a, b, sender] = [client(service), client(service), client(service)];
    const subs = [a.chat.subscribe('r'), b.chat.subscribe('r')];
    await Promise.all(subs.map((s) => s.ready));
    for (let i = 0; i < 5; i++) await sender.chat.send('r', `m${i}`);
    for (const s of subs) {
      const texts: string[] = [];
      for await (const m of s) {
        texts.push(m.text);
        if (texts.length === 5) break;
      }
      expect(texts).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    }
  });

  it('closing the client ends its subscriptions', async () => {
    const rpc = client();
    const sub = rpc.chat.subscribe('x');
    await sub.ready;
    await rpc.$close();
    await expect(sub.next()).rejects.toBeInstanceOf(TransportError);
  });
});
