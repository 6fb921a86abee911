import { describe, expect, it } from 'vitest';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import type { Push, Reply } from '../../../src/rpc/message.js';
import { clientCodec, decodeIncoming, serverCodec, stringify } from '../../../src/transport/jsonrpc/codec.js';
import { defaultLimits, type Incoming, Refused } from '../../../src/transport/types.js';

const decode = (text: string | Buffer, limits = defaultLimits): Incoming =>
  decodeIncoming(typeof text === 'string' ? Buffer.from(text) : text, limits);

/** Reduces an Incoming to plain data: errors become [code, id]. */
function shape(incoming: Incoming): unknown {
  switch (incoming.kind) {
    case 'call':
      return { call: { ...incoming.call } };
    case 'batch':
      return {
        batch: incoming.entries.map((c) => (c instanceof Refused ? { invalid: c.reply.id } : { ...c })),
      };
    case 'reply':
      return incoming.reply.ok
        ? { result: incoming.reply.result }
        : { error: [incoming.reply.error.code, incoming.reply.id] };
    default:
      return { [incoming.kind]: true };
  }
}

// Wire line in → what the server makes of it.
const DECODE_CASES: [string, unknown][] = [
  [
    '{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}',
    { call: { jsonrpc: '2.0', method: 'add', params: [1, 2], id: 1 } },
  ],
  [
    '{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":"x"}',
    { call: { jsonrpc: '2.0', method: 'add', params: { a: 1, b: 2 }, id: 'x' } },
  ],
  ['{"jsonrpc":"2.0","method":"add","id":null}', { call: { jsonrpc: '2.0', method: 'add', id: null } }],
  ['{"jsonrpc":"2.0","method":"note"}', { call: { jsonrpc: '2.0', method: 'note' } }],
  ['{"jsonrpc":"2.0","method":"add","id":1.5}', { call: { jsonrpc: '2.0', method: 'add', id: 1.5 } }],
  [
    '{"jsonrpc":"2.0","method":"add","params":[],"id":-7}',
    { call: { jsonrpc: '2.0', method: 'add', params: [], id: -7 } },
  ],
  // -32700
  ['{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', { error: [Code.ParseError, null] }],
  ['', { error: [Code.ParseError, null] }],
  ['{"id":1} trailing', { error: [Code.ParseError, null] }],
  // -32600
  ['{"jsonrpc":"2.0","method":1,"params":"bar"}', { error: [Code.InvalidRequest, null] }],
  ['{"method":"add","id":4}', { error: [Code.InvalidRequest, 4] }],
  ['{"jsonrpc":"1.0","method":"add","id":"a"}', { error: [Code.InvalidRequest, 'a'] }],
  ['{"jsonrpc":2.0,"method":"add","id":1}', { error: [Code.InvalidRequest, 1] }],
  ['{"jsonrpc":"2.0","method":"add","id":{}}', { error: [Code.InvalidRequest, null] }],
  ['{"jsonrpc":"2.0","method":"add","id":[1]}', { error: [Code.InvalidRequest, null] }],
  ['{"jsonrpc":"2.0","method":"add","id":true}', { error: [Code.InvalidRequest, null] }],
  ['{"jsonrpc":"2.0","method":"add","params":"x","id":2}', { error: [Code.InvalidRequest, 2] }],
  ['{"jsonrpc":"2.0","method":"add","params":null,"id":2}', { error: [Code.InvalidRequest, 2] }],
  ['{"method":"__proto__"}', { error: [Code.InvalidRequest, null] }],
  ['null', { error: [Code.InvalidRequest, null] }],
  ['"2.0"', { error: [Code.InvalidRequest, null] }],
  ['[]', { error: [Code.InvalidRequest, null] }],
  // batches
  ['[1]', { batch: [{ invalid: null }] }],
  ['[1,2,3]', { batch: [{ invalid: null }, { invalid: null }, { invalid: null }] }],
  [
    '[{"jsonrpc":"2.0","method":"a","id":1},{"foo":"boo"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"1","method":"c","id":9}]',
    {
      batch: [
        { jsonrpc: '2.0', method: 'a', id: 1 },
        { invalid: null },
        { jsonrpc: '2.0', method: 'b' },
        { invalid: 9 },
      ],
    },
  ],
];

describe('server decode: golden table', () => {
  it.each(DECODE_CASES)('%s', (line, expected) => {
    expect(shape(decode(line))).toEqual(expected);
  });

  it('answers invalid UTF-8 with -32700 instead of replacing it', () => {
    const bad = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","method":"echo","params":["'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"],"id":1}'),
    ]);
    expect(shape(decode(bad))).toEqual({ error: [Code.ParseError, null] });
  });

  it('keeps a __proto__ key in params as plain data', () => {
    const incoming = decode('{"jsonrpc":"2.0","method":"echo","params":{"__proto__":{"polluted":1}},"id":1}');
    expect(incoming.kind).toBe('call');
    const params = (incoming as { call: { params: Record<string, unknown> } }).call.params;
    expect(Object.keys(params)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than maxDepth levels (the request object is level 1), echoing the id', () => {
    const limits = { ...defaultLimits, maxDepth: 8 };
    const deep = (n: number) =>
      `{"jsonrpc":"2.0","method":"echo","params":[${'['.repeat(n)}${']'.repeat(n)}],"id":3}`;
    expect(decode(deep(6), limits).kind).toBe('call');
    expect(shape(decode(deep(7), limits))).toEqual({ error: [Code.LimitExceeded, 3] });
    expect(shape(decode(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toEqual({
      error: [Code.LimitExceeded, null],
    });
  });

  it('refuses a batch over maxBatch as a whole with -32000', () => {
    const limits = { ...defaultLimits, maxBatch: 3 };
    const call = '{"jsonrpc":"2.0","method":"a","id":1}';
    expect(decode(`[${call},${call},${call}]`, limits).kind).toBe('batch');
    expect(shape(decode(`[${call},${call},${call},${call}]`, limits))).toEqual({
      error: [Code.LimitExceeded, null],
    });
  });
});

const err = (code: number, message: string, data?: unknown) =>
  new RpcError(code, message, data === undefined ? undefined : { data });

// Reply → exact wire line.
const ENCODE_CASES: [string, Reply, string][] = [
  ['number result', { id: 1, ok: true, result: 19 }, '{"jsonrpc":"2.0","id":1,"result":19}'],
  ['string id', { id: 'abc', ok: true, result: 'x' }, '{"jsonrpc":"2.0","id":"abc","result":"x"}'],
  ['null id', { id: null, ok: true, result: null }, '{"jsonrpc":"2.0","id":null,"result":null}'],
  ['undefined result', { id: 2, ok: true, result: undefined }, '{"jsonrpc":"2.0","id":2,"result":null}'],
  ['boolean', { id: 2, ok: true, result: false }, '{"jsonrpc":"2.0","id":2,"result":false}'],
  ['NaN', { id: 2, ok: true, result: Number.NaN }, '{"jsonrpc":"2.0","id":2,"result":null}'],
  ['object', { id: 2, ok: true, result: { a: [1, 'b'] } }, '{"jsonrpc":"2.0","id":2,"result":{"a":[1,"b"]}}'],
  [
    'date',
    { id: 2, ok: true, result: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
    '{"jsonrpc":"2.0","id":2,"result":"2024-01-02T03:04:05.000Z"}',
  ],
  [
    'bytes',
    { id: 2, ok: true, result: { b: new Uint8Array([1, 2, 255]) } },
    '{"jsonrpc":"2.0","id":2,"result":{"b":"AQL/"}}',
  ],
  ['buffer', { id: 2, ok: true, result: [Buffer.from('hi')] }, '{"jsonrpc":"2.0","id":2,"result":["aGk="]}'],
  [
    'bigint',
    { id: 2, ok: true, result: [10n, 2n ** 64n] },
    '{"jsonrpc":"2.0","id":2,"result":[10,"18446744073709551616"]}',
  ],
  [
    'error',
    { id: 5, ok: false, error: err(-32601, 'nope') },
    '{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"nope"}}',
  ],
  [
    'error data',
    { id: 5, ok: false, error: err(404, 'x', { why: [1] }) },
    '{"jsonrpc":"2.0","id":5,"error":{"code":404,"message":"x","data":{"why":[1]}}}',
  ],
];

describe('server encode: golden table', () => {
  it.each(ENCODE_CASES)('%s', (_name, reply, wire) => {
    expect(Buffer.from(serverCodec.encodeReply(reply)).toString()).toBe(`${wire}\n`);
  });

  it('turns a result that cannot be encoded into -32603 instead of throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const line = Buffer.from(serverCodec.encodeReply({ id: 1, ok: true, result: cyclic })).toString();
    expect(JSON.parse(line)).toMatchObject({ id: 1, error: { code: Code.Internal } });
  });

  it('encodes a batch as one line', () => {
    const wire = Buffer.from(
      serverCodec.encodeBatch!([
        { id: 1, ok: true, result: 7 },
        { id: null, ok: false, error: err(-32600, 'bad') },
      ]),
    ).toString();
    expect(wire).toBe(
      '[{"jsonrpc":"2.0","id":1,"result":7},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad"}}]\n',
    );
  });
});

const PUSH_CASES: [Push, string][] = [
  [
    { kind: 'event', subscription: 3, event: { text: 'hi' } },
    '{"jsonrpc":"2.0","method":"rpc.event","params":[3,{"text":"hi"}]}',
  ],
  [{ kind: 'end', subscription: 3 }, '{"jsonrpc":"2.0","method":"rpc.end","params":[3]}'],
  [
    { kind: 'end', subscription: 4, error: err(-32603, 'gone', 1) },
    '{"jsonrpc":"2.0","method":"rpc.end","params":[4,{"code":-32603,"message":"gone","data":1}]}',
  ],
];

describe('push: golden table, both ways', () => {
  it.each(PUSH_CASES)('%j', (push, wire) => {
    expect(Buffer.from(serverCodec.encodePush(push)).toString()).toBe(`${wire}\n`);
    const back = clientCodec.decode(Buffer.from(wire));
    expect(back.kind).toBe('push');
    const got = (back as { push: Push }).push;
    expect(got.kind).toBe(push.kind);
    expect(got.subscription).toBe(push.subscription);
    if (push.kind === 'event' && got.kind === 'event') expect(got.event).toEqual(push.event);
    if (push.kind === 'end' && got.kind === 'end')
      expect(got.error?.toShape()).toEqual(push.error?.toShape());
  });
});

describe('client codec', () => {
  it('encodes calls, notifications and batches', () => {
    const text = (b: Uint8Array) => Buffer.from(b).toString();
    expect(text(clientCodec.encodeCall(7, { method: 'add', params: [1, 2] }))).toBe(
      '{"jsonrpc":"2.0","id":7,"method":"add","params":[1,2]}\n',
    );
    expect(text(clientCodec.encodeNotify({ method: 'log', params: { at: new Date(0) } }))).toBe(
      '{"jsonrpc":"2.0","method":"log","params":{"at":"1970-01-01T00:00:00.000Z"}}\n',
    );
    expect(
      text(
        clientCodec.encodeBatch!(
          [1, 2],
          [
            { method: 'a', params: [] },
            { method: 'b', params: {} },
          ],
        ),
      ),
    ).toBe(
      '[{"jsonrpc":"2.0","id":1,"method":"a","params":[]},{"jsonrpc":"2.0","id":2,"method":"b","params":{}}]\n',
    );
  });

  const CLIENT_CASES: [string, unknown][] = [
    ['{"jsonrpc":"2.0","result":19,"id":1}', { kind: 'reply', reply: { id: 1, ok: true, result: 19 } }],
    ['{"jsonrpc":"2.0","result":null,"id":2}', { kind: 'reply', reply: { id: 2, ok: true, result: null } }],
    [
      '{"jsonrpc":"2.0","error":{"code":1,"message":"m","data":[2]},"id":3}',
      { kind: 'reply', reply: { id: 3, ok: false, error: { code: 1, message: 'm', data: [2] } } },
    ],
    ['{"jsonrpc":"2.0","error":{"code":"x"},"id":4}', { kind: 'invalid', id: 4 }],
    ['{"jsonrpc":"2.0","id":5}', { kind: 'invalid', id: 5 }],
    ['not json', { kind: 'invalid' }],
    ['{"jsonrpc":"2.0","method":"rpc.event","params":["x",1]}', { kind: 'invalid' }],
  ];
  it.each(CLIENT_CASES)('decodes %s', (wire, expected) => {
    expect(clientCodec.decode(Buffer.from(wire))).toMatchObject(expected as object);
  });

  it('decodes a batch reply', () => {
    const got = clientCodec.decode(
      Buffer.from(
        '[{"jsonrpc":"2.0","result":1,"id":1},{"jsonrpc":"2.0","error":{"code":-32601,"message":"x"},"id":2}]',
      ),
    );
    if (got.kind !== 'batch') throw new Error(`expected a batch, got ${got.kind}`);
    const replies = got.replies;
    expect(replies[0]).toEqual({ id: 1, ok: true, result: 1 });
    expect(replies[1]?.ok === false && replies[1].error).toBeInstanceOf(RpcError);
  });
});

describe('stringify', () => {
  it('matches JSON.stringify for plain values', () => {
    const values = [0, -1.5, 'é"\n', true, null, [1, [2, [3]]], { a: { b: 'c' } }, 1e21];
    for (const v of values) expect(stringify(v)).toBe(JSON.stringify(v));
  });
});
