import { describe, expect, it } from 'vitest';
import { Code, RpcError } from '../../../src/rpc/errors.js';
import { clientCodec, serverCodec } from '../../../src/transport/msgpack/codec.js';
import { encodeMessage, SPLICE_BYTES } from '../../../src/transport/msgpack/splice.js';
import { decodeValue, encodeFrame } from '../../../src/transport/msgpack/values.js';
import { defaultLimits, type FrameBytes, FrameError, type Incoming } from '../../../src/transport/types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const flat = (f: FrameBytes): Buffer => (f instanceof Uint8Array ? Buffer.from(f) : Buffer.concat(f));
const toHex = (b: FrameBytes): string => flat(b).toString('hex');
const body = (frame: FrameBytes): Buffer => flat(frame).subarray(4);
const wire = (frame: FrameBytes): unknown => decodeValue(body(frame), 64);
const msg = (v: unknown): Buffer => body(encodeFrame(v));
const serverDecode = (b: Buffer): Incoming => serverCodec.decode(b, defaultLimits);

const errorOf = (i: Incoming): { id: unknown; code: number; message: string } => {
  if (i.kind !== 'reply' || i.reply.ok) throw new Error(`expected an error reply, got ${i.kind}`);
  return { id: i.reply.id, code: i.reply.error.code, message: i.reply.error.message };
};

describe('server decode', () => {
  it('reads a request', () => {
    expect(serverDecode(hex('94 00 07 a3616464 92 03 05'))).toEqual({
      kind: 'call',
      call: { id: 7, method: 'add', params: [3, 5] },
    });
  });

  it('reads named params and a uint32-max msgid', () => {
    expect(serverDecode(msg([0, 2 ** 32 - 1, 'add', { a: 1, b: 2 }]))).toEqual({
      kind: 'call',
      call: { id: 2 ** 32 - 1, method: 'add', params: { a: 1, b: 2 } },
    });
  });

  it('reads a notification as a call without id', () => {
    const i = serverDecode(hex('93 02 a3616464 92 03 05'));
    expect(i).toEqual({ kind: 'call', call: { method: 'add', params: [3, 5] } });
    expect(i.kind === 'call' && 'id' in i.call).toBe(false);
  });

  it.each<[string, Buffer, unknown, number, RegExp]>([
    ['not msgpack', hex('c1'), null, Code.ParseError, /invalid byte/],
    ['truncated', hex('94 00 01'), 1, Code.ParseError, /truncated/],
    ['trailing bytes', hex('94 00 01 a161 90 c0'), 1, Code.ParseError, /left over/],
    ['not an array', hex('a3616464'), null, Code.InvalidRequest, /must be an array/],
    ['an empty array', hex('90'), null, Code.InvalidRequest, /type must be 0/],
    ['an unknown type', hex('94 05 01 a161 90'), null, Code.InvalidRequest, /type must be 0/],
    ['a negative msgid', hex('94 00 ff a161 90'), null, Code.InvalidRequest, /msgid/],
    ['a string msgid', hex('94 00 a131 a161 90'), null, Code.InvalidRequest, /msgid/],
    ['a bigint msgid', hex('94 00 cf ffffffffffffffff a161 90'), null, Code.InvalidRequest, /msgid/],
    ['a short request', hex('93 00 01 a161'), 1, Code.InvalidRequest, /\[0, msgid, method, params\]/],
    ['a numeric method', hex('94 00 01 01 90'), 1, Code.InvalidRequest, /method must be a string/],
    ['nil params', hex('94 00 01 a161 c0'), 1, Code.InvalidRequest, /params/],
    ['scalar params', hex('94 00 01 a161 05'), 1, Code.InvalidRequest, /params/],
    ['bin params', hex('94 00 01 a161 c40100'), 1, Code.InvalidRequest, /params/],
    ['too deep', hex(`94 00 01 a161 ${'91'.repeat(70)}c0`), 1, Code.LimitExceeded, /deeper/],
  ])('answers %s with an error and msgid', (_name, frame, id, code, message) => {
    const e = errorOf(serverDecode(frame));
    expect(e.id).toBe(id);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('rejects an extension type in params', () => {
    const e = errorOf(serverDecode(hex('94 00 01 a461656368 91 d4 73 00')));
    expect(e).toEqual({
      id: 1,
      code: Code.ParseError,
      message: 'msgpack: extension type 115 is not supported',
    });
  });

  it('ignores responses and malformed notifications', () => {
    expect(serverDecode(hex('94 01 01 c0 c0'))).toEqual({ kind: 'ignore' });
    expect(serverDecode(hex('93 02 01 90'))).toEqual({ kind: 'ignore' });
    expect(serverDecode(hex('92 02 a161'))).toEqual({ kind: 'ignore' });
  });

  it('honours the limits it is given', () => {
    const frame = hex('94 00 01 a161 91 91 c0');
    expect(errorOf(serverCodec.decode(frame, { ...defaultLimits, maxDepth: 2 })).code).toBe(
      Code.LimitExceeded,
    );
    expect(serverCodec.decode(frame, { ...defaultLimits, maxDepth: 3 }).kind).toBe('call');
  });
});

describe('server encode', () => {
  it('encodes a result as [1, msgid, nil, result] with its length prefix', () => {
    expect(toHex(serverCodec.encodeReply({ id: 7, ok: true, result: 8 }))).toBe(
      '00000005 94 01 07 c0 08'.replace(/\s/g, ''),
    );
  });

  it('encodes an undefined result as nil', () => {
    expect(wire(serverCodec.encodeReply({ id: 1, ok: true, result: undefined }))).toEqual([1, 1, null, null]);
  });

  it('encodes an error as [1, msgid, {code, message, data?}, nil]', () => {
    const plain = serverCodec.encodeReply({
      id: 2,
      ok: false,
      error: new RpcError(404, 'Unknown species: x'),
    });
    expect(wire(plain)).toEqual([1, 2, { code: 404, message: 'Unknown species: x' }, null]);
    const withData = serverCodec.encodeReply({
      id: 3,
      ok: false,
      error: new RpcError(Code.InvalidParams, 'bad', { data: [{ path: ['a'] }] }),
    });
    expect(wire(withData)).toEqual([1, 3, { code: -32602, message: 'bad', data: [{ path: ['a'] }] }, null]);
  });

  it('decodes an error with msgid nil as an unaddressed error reply', () => {
    const i = clientCodec.decode(msg([1, null, { code: -32700, message: 'bad' }, null]));
    expect(i.kind === 'reply' && i.reply.id === null && !i.reply.ok && i.reply.error.code).toBe(-32700);
  });

  it('encodes a parse error with msgid nil', () => {
    const i = serverDecode(hex('c1'));
    if (i.kind !== 'reply') throw new Error('expected reply');
    expect(wire(serverCodec.encodeReply(i.reply))).toEqual([
      1,
      null,
      { code: -32700, message: 'msgpack: invalid byte 0xc1' },
      null,
    ]);
  });

  it('turns an unencodable result into an internal error, and drops unencodable error data', () => {
    expect(wire(serverCodec.encodeReply({ id: 4, ok: true, result: Symbol('x') }))).toEqual([
      1,
      4,
      { code: Code.Internal, message: 'msgpack: the result could not be encoded' },
      null,
    ]);
    const error = new RpcError(9, 'oops', { data: { s: Symbol('x') } });
    expect(wire(serverCodec.encodeReply({ id: 5, ok: false, error }))).toEqual([
      1,
      5,
      { code: 9, message: 'oops' },
      null,
    ]);
  });

  it('encodes pushes as rpc.event and rpc.end notifications', () => {
    expect(wire(serverCodec.encodePush({ kind: 'event', subscription: 3, event: { text: 'hi' } }))).toEqual([
      2,
      'rpc.event',
      [3, { text: 'hi' }],
    ]);
    expect(wire(serverCodec.encodePush({ kind: 'end', subscription: 3 }))).toEqual([2, 'rpc.end', [3]]);
    expect(
      wire(serverCodec.encodePush({ kind: 'end', subscription: 3, error: new RpcError(Code.Internal, 'x') })),
    ).toEqual([2, 'rpc.end', [3, { code: Code.Internal, message: 'x' }]]);
    expect(wire(serverCodec.encodePush({ kind: 'event', subscription: 4, event: Symbol('x') }))).toEqual([
      2,
      'rpc.end',
      [4, { code: Code.Internal, message: 'msgpack: an event could not be encoded' }],
    ]);
  });

  it('makes an oversized frame a FrameError carrying an error frame', () => {
    const framer = serverCodec.createFramer({ ...defaultLimits, maxMessageBytes: 100 });
    let error: unknown;
    try {
      framer.push(hex('ffffffff'), () => {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameError);
    const reply = (error as FrameError).reply!;
    expect(wire(reply)).toEqual([
      1,
      null,
      { code: Code.LimitExceeded, message: 'msgpack: frame of 4294967295 bytes exceeds the limit of 100' },
      null,
    ]);
  });
});

describe('client codec', () => {
  it('encodes calls and notifications', () => {
    expect(toHex(clientCodec.encodeCall(7, { method: 'add', params: [3, 5] }))).toBe(
      '0000000a 94 00 07 a3616464 92 03 05'.replace(/\s/g, ''),
    );
    expect(toHex(clientCodec.encodeNotify({ method: 'add', params: [3, 5] }))).toBe(
      '00000009 93 02 a3616464 92 03 05'.replace(/\s/g, ''),
    );
    expect(() => clientCodec.encodeCall(1, { method: 'echo', params: [2n ** 70n] })).toThrow(RangeError);
  });

  it('decodes results and errors', () => {
    expect(clientCodec.decode(hex('94 01 07 c0 08'))).toEqual({
      kind: 'reply',
      reply: { id: 7, ok: true, result: 8 },
    });
    const e = clientCodec.decode(msg([1, 8, { code: 404, message: 'nope', data: 1 }, null]));
    expect(e.kind === 'reply' && !e.reply.ok && e.reply.error).toMatchObject({
      code: 404,
      message: 'nope',
      data: 1,
    });
    const s = clientCodec.decode(msg([1, 9, 'a string error', null]));
    expect(s.kind === 'reply' && !s.reply.ok && s.reply.error).toBeInstanceOf(RpcError);
  });

  it('decodes pushes', () => {
    expect(clientCodec.decode(msg([2, 'rpc.event', [1, 'x']]))).toEqual({
      kind: 'push',
      push: { kind: 'event', subscription: 1, event: 'x' },
    });
    expect(clientCodec.decode(msg([2, 'rpc.end', [1]]))).toEqual({
      kind: 'push',
      push: { kind: 'end', subscription: 1 },
    });
    const end = clientCodec.decode(msg([2, 'rpc.end', [1, { code: 5, message: 'gone' }]]));
    expect(end.kind === 'push' && end.push.kind === 'end' && end.push.error).toMatchObject({
      code: 5,
      message: 'gone',
    });
  });

  it.each<[string, Buffer, unknown]>([
    ['not msgpack', hex('c1'), undefined],
    ['not an array', hex('01'), undefined],
    ['an unknown notification', msg([2, 'other', [1, 2]]), undefined],
    ['a push without a numeric subscription', msg([2, 'rpc.event', ['a', 1]]), undefined],
    ['a malformed error', msg([1, 5, { code: 'x' }, null]), 5],
    ['an error with msgid nil and no detail', msg([1, null, 'bad', null]), undefined],
    ['a request', msg([0, 1, 'x', []]), undefined],
  ])('reports %s as invalid', (_name, frame, id) => {
    const i = clientCodec.decode(frame);
    expect(i.kind).toBe('invalid');
    expect(i.kind === 'invalid' && i.id).toBe(id);
  });

  it('has a framer limited by maxMessageBytes without an error frame', () => {
    const framer = clientCodec.createFramer(10);
    expect(() => framer.push(hex('0000000b'), () => {})).toThrow(FrameError);
  });
});

describe('large binaries go by reference', () => {
  const big = (n: number, seed: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 97) b[i] = (i * seed) & 0xff;
    b[n - 1] = 0xcb; // a float64 marker byte inside a payload must not confuse the int fix-up
    return b;
  };

  it.each([
    ['a result', [1, 9, null, big(SPLICE_BYTES, 3)]],
    ['params', [0, 4, 'echo', [big(100_000, 5), 'x', 1.5, big(70_000, 7)]]],
    ['an event', [2, 'rpc.event', [3, big(1 << 20, 11)]]],
  ])('%s: the parts join to exactly the bytes of a copying encode', (_name, message) => {
    const parts = encodeMessage(message);
    expect(Array.isArray(parts)).toBe(true);
    const joined = Buffer.concat(parts as Buffer[]);
    expect(joined.equals(encodeFrame(message))).toBe(true);
    // Re-encoding what decodes gives the same bytes (a deep toEqual on MiB arrays is slow).
    expect(encodeFrame(decodeValue(joined.subarray(4), 64)).equals(joined)).toBe(true);
  });

  it('small messages stay one buffer', () => {
    expect(encodeMessage([1, 1, null, new Uint8Array(SPLICE_BYTES - 1)])).toBeInstanceOf(Uint8Array);
  });
});
