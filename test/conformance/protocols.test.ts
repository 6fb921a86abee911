/**
 * One conformance suite, run against every protocol endpoint `serve()` opens: the
 * same demo calls through the typed proxy must give the same results and the same
 * errors whatever the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import type { Logger } from '../../src/rpc/registry.js';
import { createClient } from '../../src/sdk/index.js';
import type { Client } from '../../src/sdk/types.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const quiet: Logger = { debug() {}, error() {} };
let server: RpcServer;
const clients: Client<DemoService>[] = [];

beforeAll(async () => {
  server = await serve(createDemoService(), {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    logger: quiet,
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$close()));
  await server?.close(1000);
});

const endpoints = (): { name: string; url: string; push: boolean; binary: boolean }[] =>
  server.listeners.map((l) => ({
    name: `${l.protocol} ${l.clientUrl}`,
    url: l.clientUrl,
    push: !l.clientUrl.includes('http'),
    binary: l.protocol !== 'jsonrpc' && !l.clientUrl.startsWith('ws:'),
  }));

const failure = async (p: PromiseLike<unknown>): Promise<RpcError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected an RpcError');
};

describe('conformance', () => {
  it('serves at least one protocol', () => {
    expect(server.listeners.length).toBeGreaterThan(0);
  });

  it('runs the same calls on every endpoint', async () => {
    for (const ep of endpoints()) {
      const rpc = createClient<DemoService>(ep.url, { timeout: 5000 });
      clients.push(rpc);
      const where = ep.name;
      expect(await rpc.add(3, 5), where).toBe(8);
      expect(await rpc.add(0.5, 0.25), where).toBe(0.75);
      expect(await rpc.hypotenuse(3, 4), where).toBe(5);
      expect(await rpc.credentials.lookup('Time Lord'), where).toBe('Rassilon');

      const unknown = await failure(rpc.credentials.lookup('Tribble'));
      expect([unknown.code, unknown.message], where).toEqual([404, 'Unknown species: Tribble']);
      expect((await failure(rpc.hypotenuse(-1, 2))).code, where).toBe(Code.InvalidParams);
      expect((await failure(rpc.add('x' as unknown as number, 2))).code, where).toBe(Code.InvalidParams);
      const raw = rpc as unknown as Record<string, () => PromiseLike<unknown>>;
      for (const name of ['__proto__', 'constructor', 'toString', 'nope']) {
        expect((await failure(raw[name]!())).code, `${where} ${name}`).toBe(Code.MethodNotFound);
      }

      const value = {
        text: 'héllo <&> ]]> "quotes" \u{1F680}',
        int: 42,
        neg: -7,
        big: 2 ** 40,
        float: 1.5,
        yes: true,
        no: false,
        none: null,
        list: [1, 'two', [3]],
        nested: { a: { b: { c: 'deep' } } },
      };
      expect(await rpc.echo(value), where).toEqual(value);
      if (ep.binary) {
        const bin = new Uint8Array([0, 1, 2, 253, 254, 255]);
        expect(new Uint8Array((await rpc.echo(bin)) as Uint8Array), where).toEqual(bin);
        const at = new Date(Date.UTC(2024, 1, 29, 12, 34, 56));
        expect(await rpc.echo(at), where).toEqual(at);
      }

      const [ok, bad] = await rpc.$batch((b) => [b.add(1, 2), b.credentials.lookup('Nobody')]);
      expect(ok, where).toEqual({ ok: true, value: 3 });
      expect(bad.ok ? null : [bad.error.code, bad.error.message], where).toEqual([
        404,
        'Unknown species: Nobody',
      ]);

      const sent = await rpc.chat.send('conformance', `from ${ep.url}`, 'tester');
      expect(sent.text, where).toBe(`from ${ep.url}`);
      const history = await rpc.chat.history('conformance', sent.id - 1);
      expect(
        history.map((m) => m.text),
        where,
      ).toEqual([`from ${ep.url}`]);
    }
  });

  it('pushes chat messages on every endpoint with push, and refuses subscriptions on HTTP', async () => {
    const sender = createClient<DemoService>(server.listeners[0]!.clientUrl);
    clients.push(sender);
    for (const ep of endpoints()) {
      const rpc = createClient<DemoService>(ep.url, { timeout: 5000 });
      clients.push(rpc);
      const room = `push-${ep.url}`;
      if (!ep.push) {
        const err = await failure(rpc.chat.subscribe(room).ready);
        expect(err.code, ep.name).toBe(Code.Unsupported);
        expect(err.message, ep.name).toContain('chat.history');
        continue;
      }
      const sub = rpc.chat.subscribe(room);
      await sub.ready;
      await sender.chat.send(room, 'one', 'a');
      await sender.chat.send(room, 'two', 'b');
      const got: string[] = [];
      for await (const m of sub) {
        got.push(`${m.nick}:${m.text}`);
        if (got.length === 2) break;
      }
      expect(got, ep.name).toEqual(['a:one', 'b:two']);
    }
  });
});
