/**
 * Issue 15, the server side of a graceful drain (`Session.drain`), on the wire: raw
 * sockets (test/support/wire.ts writes the encodings from the protocol docs) on
 * JSON-RPC/TCP, msgpack and bare msgpack-rpc. A drained connection gets
 * `rpc.goaway ["shutdown", deadlineMs]`, its call in flight is answered, every call
 * read afterwards is answered -32003 without running, and it closes once the peer
 * half-closes. Then our own client: a subscription moves to the server that takes
 * over the port with no gap and no repeat.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, createMemoryBroker } from '../../src/demo/index.js';
import {
  Code,
  type ConnectionState,
  createClient,
  defineService,
  param,
  procedure,
  type RpcServer,
  type StateChange,
  serve,
} from '../../src/index.js';
import { peekRequestId } from '../../src/transport/jsonrpc/peek.js';
import { connectWire, type WireProtocol } from '../support/wire.js';
import { quiet } from './helpers.js';

const ran: string[] = [];
const service = defineService({
  ...createDemoService(createMemoryBroker({ idBase: 0 })).tree,
  slow: procedure({
    doc: 'slow(ms, tag) answers tag after ms, and records that it ran.',
    params: [param('ms', z.number().int().min(0).max(5000)), param('tag', z.string())],
    result: z.string(),
    handler: ({ ms, tag }) => {
      ran.push(tag);
      return new Promise<string>((resolve) => setTimeout(() => resolve(tag), ms));
    },
  }),
});

const servers: RpcServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close(100))));

async function start(ports: { http?: number; jsonrpc?: number; msgpack?: number } = {}) {
  const server = await serve(service, {
    httpPort: ports.http ?? 0,
    ports: { jsonrpc: ports.jsonrpc ?? 0, msgpack: ports.msgpack ?? 0 },
    logger: quiet,
  });
  servers.push(server);
  const port = (re: RegExp): number =>
    Number(new URL(server.listeners.find((l) => re.test(l.url))!.url).port);
  return { server, jsonrpc: port(/^tcp:/), msgpack: port(/^msgpack:/), http: port(/^ws:/) };
}

describe.each(['jsonrpc', 'msgpack', 'msgpack+bare'] as const)('drain on %s', (protocol: WireProtocol) => {
  it('goaway, the started call answered, later calls -32003 unrun, closed after the half-close', async () => {
    const s = await start();
    const wire = await connectWire(protocol, protocol === 'jsonrpc' ? s.jsonrpc : s.msgpack);
    const tag = `started-${protocol}`;
    wire.send({ id: 1, method: 'slow', params: [200, tag] });
    while (!ran.includes(tag)) await new Promise((r) => setTimeout(r, 5));
    const closing = s.server.close(5000);
    expect(await wire.next()).toEqual({ kind: 'push', method: 'rpc.goaway', params: ['shutdown', 5000] });
    wire.send({ id: 2, method: 'slow', params: [0, `refused-${protocol}`] });
    wire.send({ id: 3, method: 'add', params: [1, 2] });
    wire.send({ method: 'slow', params: [0, `notified-${protocol}`] }); // a notification: no answer
    const answers = [await wire.next(), await wire.next(), await wire.next()];
    const byId = new Map(answers.map((a) => [a.kind === 'reply' ? a.id : undefined, a]));
    expect(byId.get(1)).toEqual({ kind: 'reply', id: 1, result: tag });
    for (const id of [2, 3]) {
      const a = byId.get(id);
      expect(a?.kind === 'reply' && a.error?.code).toBe(Code.NotExecuted);
    }
    expect(ran).not.toContain(`refused-${protocol}`);
    expect(ran).not.toContain(`notified-${protocol}`);
    wire.socket.end();
    await wire.closed;
    await closing;
  });
});

it('a JSON-RPC batch read after the goaway is answered -32003 entry by entry', async () => {
  const s = await start();
  const wire = await connectWire('jsonrpc', s.jsonrpc);
  wire.send({ id: 1, method: 'add', params: [1, 1] });
  await wire.next();
  const closing = s.server.close(5000);
  expect((await wire.next()).kind).toBe('push');
  wire.sendRaw(
    `${JSON.stringify([
      { jsonrpc: '2.0', id: 7, method: 'add', params: [1, 2] },
      { jsonrpc: '2.0', method: 'add', params: [1, 2] },
      { jsonrpc: '2.0', id: 8, method: 'nope' },
    ])}\n`,
  );
  const batch = await wire.next();
  expect(batch.kind).toBe('batch');
  const replies = batch.kind === 'batch' ? batch.replies : [];
  expect(replies.map((r) => (r.kind === 'reply' ? [r.id, r.error?.code] : r))).toEqual([
    [7, Code.NotExecuted],
    [8, Code.NotExecuted],
  ]);
  wire.socket.end();
  await closing;
});

it('a peer that says nothing after the goaway is closed after a short quiet time, not the deadline', async () => {
  const s = await start();
  const wire = await connectWire('jsonrpc', s.jsonrpc);
  wire.send({ id: 1, method: 'add', params: [1, 1] });
  await wire.next();
  const closing = s.server.close(60_000);
  expect((await wire.next()).kind).toBe('push');
  expect(await wire.next(10_000)).toEqual({ kind: 'closed' });
  await closing;
});

it('peekRequestId reads the id of a request without decoding it', () => {
  const table: [string, unknown][] = [
    ['{"jsonrpc":"2.0","id":5,"method":"echo","params":["x"]}', 5],
    ['{"jsonrpc":"2.0","method":"echo","params":[{"id":9}],"id":"a\\"b"}', 'a"b'],
    [' { "params" : { "id" : 1, "s": "}\\\\" } , "id" : null , "method":"m"}', null],
    ['{"jsonrpc":"2.0","method":"echo","params":[1]}', undefined], // a notification
    ['[{"jsonrpc":"2.0","id":1,"method":"m"}]', undefined], // a batch: decoded in full
    ['{"id":{"no":1},"method":"m"}', undefined],
    ['{"id":1', undefined],
    ['not json', undefined],
  ];
  for (const [text, id] of table) expect([text, peekRequestId(Buffer.from(text))]).toEqual([text, id]);
});

it('a subscription moves to the server that takes the port over: no gap, no repeat, without a timeout', async () => {
  // Two servers over one broker stand in for a restart with a shared (e.g. Redis) broker.
  const broker = createMemoryBroker({ idBase: 0 });
  const shared = defineService(createDemoService(broker).tree);
  const first = await serve(shared, { httpPort: 0, ports: { jsonrpc: 0, msgpack: null }, logger: quiet });
  const url = first.listeners.find((l) => l.url.startsWith('tcp:'))!.url;
  const port = Number(new URL(url).port);
  const rpc = createClient<typeof shared>(url, { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
  const changes: [ConnectionState, StateChange | undefined][] = [];
  rpc.$onState((state, why) => changes.push([state, why]));
  const sub = rpc.chat.subscribe('moving', 0);
  await sub.ready;
  for (let i = 1; i <= 5; i++)
    await broker.publish({ room: 'moving', nick: 'a', text: `m${i}`, at: new Date() });
  const closing = first.close(60_000);
  let second: RpcServer | undefined;
  for (let attempt = 0; second === undefined && attempt < 100; attempt++) {
    second = await serve(shared, {
      httpPort: null,
      ports: { jsonrpc: port, msgpack: null },
      logger: quiet,
    }).catch(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return undefined;
    });
  }
  servers.push(second!);
  for (let i = 6; i <= 10; i++)
    await broker.publish({ room: 'moving', nick: 'a', text: `m${i}`, at: new Date() });
  const texts: string[] = [];
  for await (const m of sub) {
    texts.push(m.text);
    if (texts.length === 10) break;
  }
  expect(texts).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
  expect(changes).toContainEqual(['reconnecting', 'goaway']);
  // The client half-closed the old connection once nothing was in flight on it: the
  // drain ends long before its 60 s deadline (the test's own timeout is 20 s).
  await closing;
  await rpc.$close();
});
