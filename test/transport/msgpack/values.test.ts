import { describe, expect, it } from 'vitest';
import { Code } from '../../../src/rpc/errors.js';
import { DecodeError, decodeValue, encodeFrame } from '../../../src/transport/msgpack/values.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const body = (v: unknown): string => Buffer.from(encodeFrame(v).subarray(4)).toString('hex');
const decode = (s: string | Buffer, maxDepth = 64): unknown =>
  decodeValue(typeof s === 'string' ? hex(s) : s, maxDepth);

// Golden table: wire bytes <-> value, checked both ways.
const BOTH_WAYS: [string, string, unknown][] = [
  ['nil', 'c0', null],
  ['false', 'c2', false],
  ['true', 'c3', true],
  ['positive fixint 0', '00', 0],
  ['positive fixint 127', '7f', 127],
  ['uint8', 'cc 80', 128],
  ['uint16', 'cd 0100', 256],
  ['uint32', 'ce ffffffff', 2 ** 32 - 1],
  ['negative fixint', 'e0', -32],
  ['int8', 'd0 df', -33],
  ['int16', 'd1 ff7f', -129],
  ['int32', 'd2 80000000', -(2 ** 31)],
  ['2^32 as uint64, not float64', 'cf 0000000100000000', 2 ** 32],
  ['-2^31-1 as int64', 'd3 ffffffff7fffffff', -(2 ** 31) - 1],
  ['2^53 as uint64 (a number)', 'cf 0020000000000000', 2 ** 53],
  ['-2^53 as int64 (a number)', 'd3 ffe0000000000000', -(2 ** 53)],
  ['2^53+1 as bigint', 'd3 0020000000000001', 2n ** 53n + 1n],
  ['-2^53-1 as bigint', 'd3 ffdfffffffffffff', -(2n ** 53n) - 1n],
  ['int64 min', 'd3 8000000000000000', -(2n ** 63n)],
  ['int64 max', 'd3 7fffffffffffffff', 2n ** 63n - 1n],
  ['2^63 as uint64', 'cf 8000000000000000', 2n ** 63n],
  ['uint64 max', 'cf ffffffffffffffff', 2n ** 64n - 1n],
  ['float64', 'cb 3ff8000000000000', 1.5],
  ['float64 1e20 (beyond uint64 safe ints) stays a float', 'cb 4415af1d78b58c40', 1e20],
  ['float64 Infinity', 'cb 7ff0000000000000', Number.POSITIVE_INFINITY],
  ['empty str', 'a0', ''],
  ['fixstr', 'a3 616263', 'abc'],
  ['utf-8 str', 'a2 c3a9', 'é'],
  ['str8', `d9 20 ${'61'.repeat(32)}`, 'a'.repeat(32)],
  ['str16', `da 0100 ${'62'.repeat(256)}`, 'b'.repeat(256)],
  ['empty array', '90', []],
  ['nested array', '92 01 91 02', [1, [2]]],
  ['array16', `dc 0010 ${'00'.repeat(16)}`, new Array(16).fill(0)],
  ['empty map', '80', {}],
  ['fixmap', '82 a161 01 a162 c3', { a: 1, b: true }],
  ['timestamp 32 (epoch)', 'd6ff 00000000', new Date(0)],
  ['timestamp 32', 'd6ff 00000001', new Date(1000)],
  ['timestamp 64 with ms', 'd7ff 77359400 00000001', new Date(1500)],
  ['timestamp 96 before 1970', 'c70cff 1dcd6500 fffffffffffffffe', new Date(-1500)],
  ['timestamp 96 after 2106', 'c70cff 004c4b40 0000000100000000', new Date(2 ** 32 * 1000 + 5)],
  ['timestamp 96 at year 1', 'c70cff 00000000 fffffff1886e0900', new Date('0001-01-01T00:00:00Z')],
];

describe('golden values, both ways', () => {
  it.each(BOTH_WAYS)('%s', (_name, wire, value) => {
    expect(body(value)).toBe(wire.replace(/\s+/g, ''));
    const back = decode(wire);
    if (typeof value === 'number') expect(Object.is(back, value)).toBe(true);
    else expect(back).toEqual(value);
  });
});

describe('decode-only forms', () => {
  it.each<[string, string, unknown]>([
    ['float32 input', 'ca 3fc00000', 1.5],
    ['float32 0.1 keeps float32 precision', 'ca 3dcccccd', Math.fround(0.1)],
    ['small uint64 is a number', 'cf 0000000000000005', 5],
    ['2^53+1 as uint64 is a bigint', 'cf 0020000000000001', 2n ** 53n + 1n],
    ['small int64 is a number', 'd3 fffffffffffffffb', -5],
    ['timestamp 96 in the 32-bit range', 'c70cff 00000000 0000000000000001', new Date(1000)],
    ['timestamp 64 truncates to ms', 'd7ff 00000004 00000000', new Date(0)],
    ['timestamp 64 beyond 2106', 'd7ff 00000001 00000000', new Date(2 ** 32 * 1000)],
    ['map16 with str8 key', 'de 0001 d9 01 61 01', { a: 1 }],
    ['array32', 'dd 00000001 c0', [null]],
    ['bin8', 'c4 03 010203', new Uint8Array([1, 2, 3])],
    ['bin16', `c5 0100 ${'ff'.repeat(256)}`, new Uint8Array(256).fill(255)],
  ])('%s', (_name, wire, value) => {
    const back = decode(wire);
    if (value instanceof Uint8Array) expect(new Uint8Array(back as Uint8Array)).toEqual(value);
    else expect(back).toEqual(value);
  });
});

describe('binary', () => {
  it('encodes a Uint8Array as bin and decodes it as a view of the frame', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(body(bytes)).toBe('c403010203');
    expect(body(new Uint8Array(0))).toBe('c400');
    const frame = hex('c403010203');
    const back = decode(frame) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([1, 2, 3]);
    expect(back.buffer).toBe(frame.buffer);
  });

  it('sends the bytes of wider typed arrays, never stale buffer contents', () => {
    encodeFrame('x'.repeat(200)); // leave non-zero bytes behind in msgpackr's slab
    expect(body(new Float32Array([1]))).toBe('c404 0000803f'.replace(/\s+/g, ''));
    expect(body(new Float64Array([1.5]))).toBe('c408 000000000000f83f'.replace(/\s+/g, ''));
    expect(body(new Uint16Array([0x0102, 0x0304]))).toBe('c404 02010403'.replace(/\s+/g, ''));
    expect(body(new BigInt64Array([-1n]))).toBe(`c408${'ff'.repeat(8)}`);
    const bytes = new Uint8Array([9, 8, 7, 6]);
    expect(body(new DataView(bytes.buffer, 1, 2))).toBe('c402 0807'.replace(/\s+/g, ''));
    expect(body(bytes.subarray(1, 3))).toBe('c402 0807'.replace(/\s+/g, ''));
    expect(body(Buffer.from([1, 2]))).toBe('c402 0102'.replace(/\s+/g, ''));
  });

  it('leaves 0xcb bytes inside a bin and a string alone', () => {
    const bytes = hex('cb 4270000000000000 00');
    expect(body([bytes, '\u00cb'])).toBe('92 c40a cb427000000000000000 a2c38b'.replace(/\s+/g, ''));
  });
});

describe('encoding', () => {
  it('prefixes the body with its big-endian length in the same buffer', () => {
    const frame = encodeFrame('abc');
    expect(Buffer.from(frame).toString('hex')).toBe('00000004a3616263');
  });

  it('sends undefined as nil', () => {
    expect(body([undefined])).toBe('91c0');
  });

  it('sends -0 as the integer 0 (msgpackr), and decodes float64 -0 as -0', () => {
    expect(body(-0)).toBe('00');
    expect(Object.is(decode('cb 8000000000000000'), -0)).toBe(true);
  });

  it('rewrites integral floats nested anywhere as ints', () => {
    const v = [2 ** 40, { a: -(2 ** 40), b: [0.5, 2 ** 33] }];
    expect(body(v)).toBe(
      '92 cf 0000010000000000 82 a161 d3 ffffff0000000000 a162 92 cb 3fe0000000000000 cf 0000000200000000'.replace(
        /\s+/g,
        '',
      ),
    );
    expect(decode(body(v))).toEqual(v);
  });

  it('refuses what MessagePack cannot carry', () => {
    expect(() => encodeFrame(Symbol('x'))).toThrow();
    expect(() => encodeFrame(2n ** 64n)).toThrow(RangeError);
    expect(() => encodeFrame(new Date(Number.NaN))).toThrow(/invalid Date/);
  });

  it('keeps earlier results intact across later encodes', () => {
    const first = encodeFrame('first');
    const copy = Buffer.from(first);
    for (let i = 0; i < 2000; i++) encodeFrame({ i, s: 'x'.repeat(i % 50) });
    expect(Buffer.from(first)).toEqual(copy);
  });
});

describe('__proto__ keys', () => {
  it('round-trips as an own data property, never the prototype', () => {
    const wire = '82 a9 5f5f70726f746f5f5f 81 a1 78 01 a1 61 02';
    const back = decode(wire) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ x: 1 });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(body(back)).toBe(wire.replace(/\s+/g, ''));
  });

  it('is found in str8 form and nested, and does not disturb a __proto_ key', () => {
    const wire = '91 82 d9 09 5f5f70726f746f5f5f 01 a8 5f5f70726f746f5f 02';
    const back = decode(wire) as Record<string, unknown>[];
    expect(Object.keys(back[0]!)).toEqual(['__proto__', '__proto_']);
    expect(Object.getOwnPropertyDescriptor(back[0], '__proto__')?.value).toBe(1);
    expect(back[0]!.__proto_).toBe(2);
  });
});

describe('rejected input', () => {
  it.each<[string, string, RegExp]>([
    ['empty frame', '', /truncated/],
    ['never-used byte 0xc1', 'c1', /invalid byte 0xc1/],
    ['truncated array', '92 01', /truncated/],
    ['truncated string', 'a3 6162', /truncated/],
    ['truncated uint16', 'cd 01', /truncated/],
    ['truncated float64', 'cb 3ff8', /truncated/],
    ['array32 claiming 4G items', 'dd ffffffff 00', /truncated/],
    ['map32 claiming 4G entries', 'df ffffffff a161 00', /truncated/],
    ['bin32 longer than the frame', 'c6 ffffffff 00', /truncated/],
    ['bytes left over', '01 02', /1 bytes left over/],
    ['two values', 'a161 a162', /left over/],
    ['ext 0 (undefined in msgpackr)', 'd4 00 00', /extension type 0/],
    ['ext 0x72 (msgpackr record)', 'd4 72 40', /extension type 114/],
    ['ext 0x73 (msgpackr Set)', 'd4 73 00 90', /extension type 115/],
    ['ext 0x65 (msgpackr Error)', 'd4 65 00 90', /extension type 101/],
    ['ext 0x70 (msgpackr pointer)', 'd6 70 00000001', /extension type 112/],
    ['ext 1 in ext8', 'c7 02 01 0000', /extension type 1 /],
    ['negative ext type -2', 'd4 fe 00', /extension type -2/],
    ['truncated ext', 'd7 ff 0000', /truncated/],
    ['timestamp of 2 bytes', 'd5 ff 0000', /timestamp of 2 bytes/],
    ['timestamp 64 nanoseconds >= 1e9', 'd7 ff ffffffff 00000000', /nanoseconds/],
    ['timestamp 96 nanoseconds >= 1e9', 'c70cff 3b9aca00 0000000000000000', /nanoseconds/],
    ['timestamp 96 beyond the Date range', 'c70cff 00000000 7fffffffffffffff', /Date range/],
    ['integer map key', '81 01 02', /keys must be strings/],
    ['nil map key', '81 c0 02', /keys must be strings/],
    ['array map key', '81 91 01 02', /keys must be strings/],
    ['bin map key', '81 c4 01 61 02', /keys must be strings/],
    ['nested non-string key', '91 81 a161 81 02 03', /keys must be strings/],
  ])('%s', (_name, wire, message) => {
    expect(() => decode(wire)).toThrow(DecodeError);
    expect(() => decode(wire)).toThrow(message);
  });

  it('limits nesting depth without recursion, even 100k deep', () => {
    const deep = Buffer.alloc(100_001, 0x91);
    deep[100_000] = 0xc0;
    let error: unknown;
    try {
      decode(deep);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe(Code.LimitExceeded);
    expect((error as DecodeError).message).toMatch(/deeper than 64/);
  });

  it('accepts exactly maxDepth levels, counting empty containers and maps', () => {
    const at = (levels: number, leaf: string): Buffer => hex(`${'91'.repeat(levels - 1)}${leaf}`);
    expect(() => decode(at(64, '90'))).not.toThrow();
    expect(() => decode(at(65, '90'))).toThrow(/deeper than 64/);
    expect(() => decode(at(64, '80'))).not.toThrow();
    expect(() => decode(at(65, '81a16101'))).toThrow(/deeper than 64/);
    expect(() => decode(hex('919190'), 2)).toThrow(/deeper than 2/);
  });

  it('still decodes normally after a rejected frame', () => {
    expect(() => decode('92 01')).toThrow();
    expect(decode('92 01 02')).toEqual([1, 2]);
  });
});
