/**
 * Conformance, calls: the same demo calls through the typed proxy must give the same
 * results and the same errors on every endpoint `serve()` opens, whatever the wire.
 * One `describe` per endpoint, so one failing protocol does not hide the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Code, createClient, protocols, RpcError } from '../../src/index.js';
import type { Client } from '../../src/sdk/types.js';
import { type ConformanceService, endpointsOf, failure, startServer } from './endpoints.js';

const { server } = await startServer();
const endpoints = endpointsOf(server);
const clients: Client<ConformanceService>[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$close()));
  await server.close(1000);
});

const connect = (url: string): Client<ConformanceService> => {
  const rpc = createClient<ConformanceService>(url, { timeout: 5000 });
  clients.push(rpc);
  return rpc;
};

describe('conformance: endpoints', () => {
  it('serves at least one protocol', () => {
    expect(server.listeners.length).toBeGreaterThan(0);
  });

  it('serves every registered protocol, on each of its bindings', () => {
    for (const p of protocols) {
      const mine = endpoints.filter((e) => e.protocol === p.name);
      const carriers = mine.map((e) => e.carrier).sort();
      const expected = [
        ...(p.http ? ['http'] : []),
        ...(p.stream ? ['tcp', ...(p.stream.clientSchemes?.slice(1).map((s) => s.slice(0, -1)) ?? [])] : []),
        ...(p.upgrade?.clientSchemes.map((s) => s.slice(0, -1)) ?? []),
      ].sort();
      expect(carriers, p.name).toEqual(expected);
    }
  });
});

// Unicode that must survive every wire: accents, markup characters, astral plane
// (surrogate pairs), combining marks, right-to-left, CJK, a BOM-like character.
const STRINGS = [
  '',
  'plain',
  'héllo <&> ]]> "quotes" \'single\'',
  '\u{1F680}\u{1F600} astral',
  'e\u0301 combining',
  'שלום مرحبا',
  '日本語の文字列',
  '\ufeffbom',
  'tab\tnew\nline',
  ' leading and trailing ',
  'x'.repeat(10_000),
];
const INTS = [0, 1, -1, 42, -7, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40)];
const FLOATS = [0.5, -1.5, 0.1, 1e-300, -1.5e300, Math.PI, 2 ** -1074];

describe.each(endpoints)('conformance: calls on $name', (ep) => {
  const rpc = connect(ep.url);

  it('answers the demo calls', async () => {
    expect(await rpc.add(3, 5)).toBe(8);
    expect(await rpc.add(0.5, 0.25)).toBe(0.75);
    expect(await rpc.hypotenuse(3, 4)).toBe(5);
    expect(await rpc.credentials.lookup('Time Lord')).toBe('Rassilon');
  });

  it('answers many concurrent calls, each with its own result', async () => {
    const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => rpc.add(i, 1000)));
    expect(sums).toEqual(Array.from({ length: 50 }, (_, i) => i + 1000));
  });

  it('gives an application error its code and message (404)', async () => {
    const unknown = await failure(rpc.credentials.lookup('Tribble'));
    expect(unknown).toBeInstanceOf(RpcError);
    expect([unknown.code, unknown.message]).toEqual([404, 'Unknown species: Tribble']);
  });

  it('answers bad arguments with -32602', async () => {
    expect((await failure(rpc.hypotenuse(-1, 2))).code).toBe(Code.InvalidParams);
    expect((await failure(rpc.add('x' as unknown as number, 2))).code).toBe(Code.InvalidParams);
    const raw = rpc as unknown as Record<string, (...a: unknown[]) => PromiseLike<unknown>>;
    expect((await failure(raw.add!(1))).code).toBe(Code.InvalidParams);
    expect((await failure(raw.add!(1, 2, 3))).code).toBe(Code.InvalidParams);
  });

  it('answers unknown names with -32601, __proto__ and friends included', async () => {
    const raw = rpc as unknown as Record<string, () => PromiseLike<unknown>>;
    for (const name of ['__proto__', 'constructor', 'toString', 'nope']) {
      expect((await failure(raw[name]!())).code, name).toBe(Code.MethodNotFound);
    }
    const nested = rpc as unknown as { credentials: Record<string, () => PromiseLike<unknown>> };
    expect((await failure(nested.credentials.constructor!())).code).toBe(Code.MethodNotFound);
  });

  it('echoes a mixed value', async () => {
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
    expect(await rpc.echo(value)).toEqual(value);
  });

  it.each(STRINGS.map((s) => [s.length > 40 ? `${s.slice(0, 20)}… (${s.length})` : s, s]))(
    'echoes the string %j',
    async (_label, s) => {
      expect(await rpc.echo(s)).toBe(s);
    },
  );

  it('echoes integers, floats and booleans exactly', async () => {
    for (const n of INTS) expect(await rpc.echo(n), String(n)).toBe(n);
    for (const f of FLOATS) expect(await rpc.echo(f), String(f)).toBe(f);
    expect(await rpc.echo(true)).toBe(true);
    expect(await rpc.echo(false)).toBe(false);
  });

  it('echoes null, arrays and nested objects', async () => {
    expect(await rpc.echo(null)).toBeNull();
    expect(await rpc.echo([])).toEqual([]);
    expect(await rpc.echo({})).toEqual({});
    expect(await rpc.echo([[[[]]], [null], [1, [2, [3, [4]]]]])).toEqual([
      [[[]]],
      [null],
      [1, [2, [3, [4]]]],
    ]);
    const nested = {
      'ünï cødé': { 'with space': [{ a: 1 }, { b: [true, false] }] },
      empty: { '': 'blank key' },
    };
    expect(await rpc.echo(nested)).toEqual(nested);
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(await rpc.echo(wide)).toEqual(wide);
    const long = Array.from({ length: 5000 }, (_, i) => i);
    expect(await rpc.echo(long)).toEqual(long);
  });

  if (ep.traits.binary)
    it('echoes binary, empty and every byte value', async () => {
      const bin = new Uint8Array([0, 1, 2, 253, 254, 255]);
      expect(new Uint8Array((await rpc.echo(bin)) as Uint8Array)).toEqual(bin);
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect(new Uint8Array((await rpc.echo(all)) as Uint8Array)).toEqual(all);
      const empty = (await rpc.echo(new Uint8Array(0))) as Uint8Array;
      expect(empty.byteLength).toBe(0);
      const inside = (await rpc.echo({ data: [bin] })) as { data: Uint8Array[] };
      expect(new Uint8Array(inside.data[0]!)).toEqual(bin);
    });

  it('echoes dates (as dates where the wire has them, else as ISO strings)', async () => {
    const at = new Date(Date.UTC(2024, 1, 29, 12, 34, 56));
    const back = await rpc.echo(at);
    if (ep.traits.dates === 'date') expect(back).toEqual(at);
    else expect(back).toBe(at.toISOString());
  });

  it('runs a batch, each entry settled on its own', async () => {
    const [ok, bad] = await rpc.$batch((b) => [b.add(1, 2), b.credentials.lookup('Nobody')]);
    expect(ok).toEqual({ ok: true, value: 3 });
    expect(bad.ok ? null : [bad.error.code, bad.error.message]).toEqual([404, 'Unknown species: Nobody']);
    const many = await rpc.$batch((b) =>
      Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? b.hypotenuse(-1, i) : b.add(i, i))),
    );
    expect(many.map((s) => (s.ok ? s.value : s.error.code))).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 5 === 4 ? Code.InvalidParams : 2 * i)),
    );
    expect(await rpc.$batch(() => [])).toEqual([]);
  });

  if (ep.batch)
    it('runs a batch through the transport in one round trip', async () => {
      const settled = await rpc.$transport.batch!([
        { method: 'add', params: [2, 2] },
        { method: 'nope', params: [] },
      ]);
      expect(settled[0]).toEqual({ ok: true, value: 4 });
      expect(settled[1]?.ok ? null : settled[1]?.error.code).toBe(Code.MethodNotFound);
    });

  if (ep.notify)
    it('sends notifications, which run and get no reply', async () => {
      const room = `notify-${ep.name}`;
      await rpc.$transport.notify!({ method: 'chat.send', params: [room, 'by notification', 'n'] });
      await rpc.$transport.notify!({ method: 'nope', params: [] });
      await rpc.$transport.notify!({ method: 'add', params: ['x'] });
      // A call after the notifications on the same client is answered after them.
      let history = await rpc.chat.history(room);
      for (let i = 0; i < 50 && history.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        history = await rpc.chat.history(room);
      }
      expect(history.map((m) => m.text)).toEqual(['by notification']);
      expect(await rpc.add(1, 1)).toBe(2);
    });

  it('stores chat messages and gives them back by history', async () => {
    const sent = await rpc.chat.send('conformance', `from ${ep.url}`, 'tester');
    expect(sent.text).toBe(`from ${ep.url}`);
    expect(sent.nick).toBe('tester');
    const history = await rpc.chat.history('conformance', sent.id - 1);
    expect(history.map((m) => m.text)).toEqual([`from ${ep.url}`]);
  });

  it('answers introspection', async () => {
    const raw = rpc as unknown as { system: { listMethods(): PromiseLike<string[]> } };
    const names = await raw.system.listMethods();
    expect(names).toEqual(expect.arrayContaining(['add', 'echo', 'chat.subscribe', 'system.methodHelp']));
  });
});
