/**
 * Every example pair of the JSON-RPC 2.0 specification's examples section, replayed
 * over a raw TCP socket against our server. Responses are compared structurally:
 * results and ids exactly, errors by code and id (the messages are ours), batches in
 * any order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry } from '../../src/rpc/registry.js';
import { defineService, param, procedure } from '../../src/rpc/service.js';
import { jsonRpc } from '../../src/transport/jsonrpc/index.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { defaultLimits } from '../../src/transport/types.js';
import { connectLines, type LineSocket } from '../transport/jsonrpc/lines.js';

const n = z.number();
const opt = n.optional();
const specService = defineService({
  subtract: procedure({
    doc: 'subtract(minuend, subtrahend)',
    params: [param('minuend', n), param('subtrahend', n)],
    result: n,
    handler: ({ minuend, subtrahend }) => minuend - subtrahend,
  }),
  sum: procedure({
    doc: 'sum(a, b, c)',
    params: [param('a', opt), param('b', opt), param('c', opt)],
    result: n,
    handler: ({ a, b, c }) => (a ?? 0) + (b ?? 0) + (c ?? 0),
  }),
  update: procedure({
    doc: 'update(...five numbers)',
    params: [param('a', opt), param('b', opt), param('c', opt), param('d', opt), param('e', opt)],
    result: z.null(),
    handler: () => null,
  }),
  notify_hello: procedure({
    doc: 'notify_hello(n)',
    params: [param('n', n)],
    result: z.null(),
    handler: () => null,
  }),
  get_data: procedure({
    doc: 'get_data()',
    params: [],
    result: z.tuple([z.string(), n]),
    handler: () => ['hello', 5] as [string, number],
  }),
});

// Each example: what is sent (`-->`) and what comes back (`<--`), null for nothing.
const EXAMPLES: [string, string, string | null][] = [
  [
    'positional params 1',
    '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}',
    '{"jsonrpc": "2.0", "result": 19, "id": 1}',
  ],
  [
    'positional params 2',
    '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}',
    '{"jsonrpc": "2.0", "result": -19, "id": 2}',
  ],
  [
    'named params 1',
    '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
    '{"jsonrpc": "2.0", "result": 19, "id": 3}',
  ],
  [
    'named params 2',
    '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
    '{"jsonrpc": "2.0", "result": 19, "id": 4}',
  ],
  ['notification 1', '{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', null],
  ['notification 2', '{"jsonrpc": "2.0", "method": "foobar"}', null],
  [
    'non-existent method',
    '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}',
    '{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}',
  ],
  [
    'invalid JSON',
    '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]',
    '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}',
  ],
  [
    'invalid Request object',
    '{"jsonrpc": "2.0", "method": 1, "params": "bar"}',
    '{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}',
  ],
  [
    'batch, invalid JSON',
    '[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method" ]',
    '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}',
  ],
  [
    'empty Array',
    '[]',
    '{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}',
  ],
  [
    'invalid batch, not empty',
    '[1]',
    '[ {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null} ]',
  ],
  [
    'invalid batch',
    '[1,2,3]',
    `[${Array(3).fill('{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}').join(',')}]`,
  ],
  [
    'batch',
    `[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`.replace(/\n\s*/g, ' '),
    `[
      {"jsonrpc": "2.0", "result": 7, "id": "1"},
      {"jsonrpc": "2.0", "result": 19, "id": "2"},
      {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
      {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
      {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]`,
  ],
  [
    'batch, all notifications',
    '[ {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]} ]',
    null,
  ],
];

/** normal reduces a response to what must match: results exactly, errors by code. */
function normal(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map(normal).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  const r = value as {
    jsonrpc: unknown;
    id: unknown;
    result?: unknown;
    error?: { code: number; message: unknown };
  };
  expect(typeof r.error?.message === 'string' || r.error === undefined).toBe(true);
  return r.error === undefined
    ? { jsonrpc: r.jsonrpc, id: r.id, result: r.result }
    : { jsonrpc: r.jsonrpc, id: r.id, code: r.error.code };
}

const SENTINEL = '{"jsonrpc":"2.0","method":"get_data","id":"sentinel"}';

let stream: StreamServer;
let sock: LineSocket;

beforeAll(async () => {
  const registry = createRegistry(specService);
  stream = serveStream(jsonRpc, registry, defaultLimits);
  await new Promise<void>((resolve) => stream.server.listen(0, '127.0.0.1', resolve));
  const port = (stream.server.address() as { port: number }).port;
  sock = await connectLines(port);
});

afterAll(async () => {
  sock.close();
  await stream.drain(1000);
});

describe('JSON-RPC 2.0 specification examples over TCP', () => {
  it.each(EXAMPLES)('%s', async (_name, request, response) => {
    sock.send(request);
    // A sentinel after each request proves a notification got no answer at all.
    // Replies may come back in any order, so read until the sentinel has arrived.
    sock.send(SENTINEL);
    const others: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const got = JSON.parse(await sock.next()) as { id?: unknown };
      if (got.id === 'sentinel') {
        expect(got).toEqual({ jsonrpc: '2.0', id: 'sentinel', result: ['hello', 5] });
        break;
      }
      others.push(got);
    }
    if (response === null) expect(others).toEqual([]);
    else {
      expect(others).toHaveLength(1);
      expect(normal(others[0])).toEqual(normal(JSON.parse(response)));
    }
  });
});
