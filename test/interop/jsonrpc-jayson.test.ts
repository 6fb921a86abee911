/**
 * Interop with jayson 5, both directions: jayson's TCP client (one connection per
 * request, half-closed after it) against our server, and our client against
 * jayson's TCP and HTTP servers.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import jayson from 'jayson/promise/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, UNKNOWN_SPECIES } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { jsonRpc } from '../../src/transport/jsonrpc/index.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { type ClientTransport, defaultLimits } from '../../src/transport/types.js';

const listen = async (s: NetServer | HttpServer): Promise<number> => {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return (s.address() as { port: number }).port;
};
const close = (s: NetServer | HttpServer): Promise<void> =>
  new Promise((resolve) => s.close(() => resolve()));

describe('jayson TCP client → our server', () => {
  let ours: StreamServer;
  let client: InstanceType<typeof jayson.Client>;

  beforeAll(async () => {
    ours = serveStream(jsonRpc, createRegistry(createDemoService()), defaultLimits);
    client = jayson.Client.tcp({ host: '127.0.0.1', port: await listen(ours.server) });
  });
  afterAll(() => ours.drain(1000));

  it('calls the demo procedures, positional and named', async () => {
    expect(await client.request('add', [2, 3])).toMatchObject({ jsonrpc: '2.0', result: 5 });
    expect(await client.request('hypotenuse', { a: 3, b: 4 })).toMatchObject({ result: 5 });
    expect(await client.request('credentials.lookup', { species: 'Sontaran' })).toMatchObject({
      result: 'General Staal',
    });
    expect(await client.request('echo', [{ nested: [1, 'two', null] }])).toMatchObject({
      result: { nested: [1, 'two', null] },
    });
  });

  it('gets an error response with the id echoed', async () => {
    const res = (await client.request('credentials.lookup', ['Gallifreyan'], 'my-id')) as {
      id: unknown;
      error: { code: number; message: string };
    };
    expect(res.id).toBe('my-id');
    expect(res.error.code).toBe(UNKNOWN_SPECIES);
    expect(res.error.message).toContain('Gallifreyan');
  });

  it('sends a batch', async () => {
    const batch = [
      client.request('add', [1, 2], undefined, false),
      client.request('nope', [], undefined, false),
      client.request('credentials.lookup', ['Zygon'], undefined, false),
    ];
    const res = (await client.request(batch)) as {
      id: unknown;
      result?: unknown;
      error?: { code: number };
    }[];
    const byId = new Map(res.map((r) => [r.id, r]));
    expect(byId.get(batch[0]!.id)?.result).toBe(3);
    expect(byId.get(batch[1]!.id)?.error?.code).toBe(Code.MethodNotFound);
    expect(byId.get(batch[2]!.id)?.result).toBe('Broton');
  });

  it('sends a notification (half-closing at once) that still runs', async () => {
    const room = 'jayson-note';
    // jayson's types omit it, but an id of null is how it sends a notification.
    await client.request('chat.send', [room, 'from jayson'], null as unknown as string);
    let history: unknown[] = [];
    for (let i = 0; i < 50 && history.length === 0; i++) {
      const res = (await client.request('chat.history', [room])) as { result: unknown[] };
      history = res.result;
      if (history.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    expect(history).toMatchObject([{ room, text: 'from jayson' }]);
  });
});

// A jayson server with the same shapes as the demo, positional or named.
function jaysonServer(): InstanceType<typeof jayson.Server> {
  type Args = unknown[] | Record<string, unknown>;
  const arg = (args: Args, i: number, name: string): unknown => (Array.isArray(args) ? args[i] : args[name]);
  return new jayson.Server({
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
}
const recorded: unknown[] = [];

describe.each([
  ['TCP', 'tcp'],
  ['HTTP', 'jsonrpc+http'],
])('our client → jayson %s server', (kind, scheme) => {
  let server: NetServer | HttpServer;
  let t: ClientTransport;

  beforeAll(async () => {
    const j = jaysonServer();
    server = kind === 'TCP' ? j.tcp() : j.http();
    t = jsonRpc.createTransport(new URL(`${scheme}://127.0.0.1:${await listen(server)}/`), {});
  });
  afterAll(async () => {
    await t.close();
    if ('closeAllConnections' in server) server.closeAllConnections();
    await close(server);
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

  it('gets a remote error as RpcError with data', async () => {
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
    const mark = `note-${kind}`;
    await t.notify!({ method: 'record', params: [mark] });
    for (let i = 0; i < 50 && !recorded.includes(mark); i++) await new Promise((r) => setTimeout(r, 10));
    expect(recorded).toContain(mark);
  });
});
