// Bare msgpack-rpc framing (issue 13): finding message boundaries without a length
// prefix, at every chunk split, with the limits checked before buffering grows.
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Code } from '../../../src/rpc/errors.js';
import { createBareFramer, withoutPrefix } from '../../../src/transport/msgpack/bare-framing.js';
import { Extent, NEED_MORE } from '../../../src/transport/msgpack/extent.js';
import { createEitherFramer } from '../../../src/transport/msgpack/framing.js';
import { FrameError, type Framer } from '../../../src/transport/types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * GOLDEN is one value per token form, as bytes: each must be found whole, whatever
 * follows it. Written from the MessagePack specification, not from an encoder.
 */
const GOLDEN: readonly (readonly [string, string])[] = [
  ['positive fixint', '7f'],
  ['negative fixint', 'e0'],
  ['nil, false, true', '93 c0 c2 c3'],
  ['fixstr', 'a3 616263'],
  ['str 8', 'd9 03 616263'],
  ['str 16', 'da 0003 616263'],
  ['str 32', 'db 00000003 616263'],
  ['bin 8, 16, 32', '93 c4 01 ff c5 0001 ff c6 00000001 ff'],
  ['float 32, 64', '92 ca 3f800000 cb 3ff0000000000000'],
  ['uint 8, 16, 32, 64', '94 cc ff cd ffff ce ffffffff cf ffffffffffffffff'],
  ['int 8, 16, 32, 64', '94 d0 80 d1 8000 d2 80000000 d3 8000000000000000'],
  [
    'fixext 1, 2, 4, 8, 16',
    '95 d4 05 01 d5 05 0102 d6 ff 00000000 d7 ff 0000000000000000 d8 05 00000000000000000000000000000000',
  ],
  ['ext 8, 16, 32', '93 c7 02 05 0102 c8 0002 05 0102 c9 00000002 05 0102'],
  ['timestamp 96', 'c7 0c ff 00000000 0000000000000000'],
  ['fixarray, nested', '94 00 01 a3 616464 92 03 05'],
  ['empty array and map', '92 90 80'],
  ['array 16, 32', '92 dc 0001 c0 dd 00000001 c0'],
  ['fixmap', '82 a1 61 01 a1 62 91 c3'],
  ['map 16, 32', '92 de 0001 a1 61 c0 df 00000001 a1 62 c0'],
  ['a request', '94 00 cd 1234 a4 65636 86f 91 81 a1 6b 93 01 a1 78 c0'],
];
const VALUES = GOLDEN.map(([, h]) => hex(h));
const STREAM = Buffer.concat(VALUES);

const bare = (maxBytes = 1 << 20, maxDepth = 64): Framer => createBareFramer({ maxBytes, maxDepth });

const collect = (chunks: readonly Buffer[], framer = bare()): Buffer[] => {
  const out: Buffer[] = [];
  for (const c of chunks) framer.push(c, (f) => out.push(Buffer.from(f)));
  expect(framer.pending).toBe(0);
  return out;
};

// The FrameError a push throws, with the code of its refusal.
const refusal = (bytes: Buffer[], maxBytes: number, maxDepth = 64): { code: number; message: string } => {
  let refused: { code: number; message: string } | undefined;
  const framer = createBareFramer({
    maxBytes,
    maxDepth,
    refuse: (code, message) => {
      refused = { code, message };
      return Buffer.from('reply');
    },
  });
  try {
    for (const b of bytes) framer.push(b, () => {});
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).reply).toEqual(Buffer.from('reply'));
    return refused!;
  }
  throw new Error('expected a FrameError');
};

describe('bare framing: golden values', () => {
  it.each(GOLDEN)('%s is one whole value', (_name, h) => {
    const bytes = hex(h);
    const extent = new Extent(1 << 20, 64);
    expect(extent.scan(bytes, 0, bytes.length)).toBe(bytes.length);
    extent.reset();
    expect(extent.scan(bytes, 0, bytes.length - 1)).toBe(NEED_MORE);
  });

  it('splits values back to back in one chunk, handing out views without copying', () => {
    const views: Buffer[] = [];
    bare().push(STREAM, (f) => views.push(f as Buffer));
    expect(views).toEqual(VALUES);
    for (const v of views) expect(v.buffer).toBe(STREAM.buffer);
  });

  it('reassembles the stream split into two chunks at every byte boundary', () => {
    for (let cut = 0; cut <= STREAM.length; cut++)
      expect(collect([STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(VALUES);
  });

  it('reassembles the stream split into three chunks at every pair of boundaries (first 40 bytes)', () => {
    for (let a = 0; a <= 40; a++)
      for (let b = a; b <= 40; b++)
        expect(collect([STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)])).toEqual(VALUES);
  });

  it('reassembles the stream fed one byte at a time', () => {
    expect(collect([...STREAM].map((b) => Buffer.from([b])))).toEqual(VALUES);
  });

  it('agrees with msgpackr on messages of every size, in chunks of many sizes', () => {
    const messages = [
      [0, 1, 'add', [3, 5]],
      [2, 'chat.send', ['lobby', 'x'.repeat(70_000)]],
      [
        0,
        2,
        'echo',
        [{ bin: Buffer.alloc(200_000, 9), list: Array.from({ length: 5000 }, (_, i) => i * 1.5) }],
      ],
      [1, 3, null, { deep: [[[[['ok']]]]] }],
    ].map((m) => pack(m));
    const stream = Buffer.concat(messages);
    for (const size of [7, 1460, 65_536, stream.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const found = collect(chunks);
      // Buffer.equals: a deep toEqual of 300 kB buffers takes seconds.
      expect(found.length, `chunks of ${size}`).toBe(messages.length);
      for (const [i, f] of found.entries())
        expect(f.equals(messages[i]!), `chunks of ${size}, message ${i}`).toBe(true);
    }
  });

  it('reports the bytes held for a partial value, and keeps frames it handed out intact', () => {
    const framer = bare();
    const seen: Buffer[] = [];
    const first = hex('92 a3 616263 c0');
    framer.push(first.subarray(0, 3), (f) => seen.push(f as Buffer));
    expect(framer.pending).toBe(3);
    framer.push(Buffer.concat([first.subarray(3), hex('92')]), (f) => seen.push(f as Buffer));
    expect(seen).toEqual([first]);
    expect(framer.pending).toBe(1);
    framer.push(hex('01 02 93 c0'), (f) => seen.push(f as Buffer));
    expect(seen).toEqual([first, hex('92 01 02')]);
    expect(framer.pending).toBe(2);
  });
});

describe('bare framing: limits and bad bytes', () => {
  it('refuses a string whose header alone crosses maxBytes, before its bytes arrive', () => {
    const r = refusal([hex('94 00 01 a4 6563686f 91 db 00100000')], 1024);
    expect(r.code).toBe(Code.LimitExceeded);
    expect(r.message).toMatch(/^msgpack: a message longer than the limit of 1024 bytes$/);
  });

  it('refuses an array claiming more items than bytes left under maxBytes', () => {
    expect(refusal([hex('94 00 01 a1 61 dd 00010000')], 1024).code).toBe(Code.LimitExceeded);
  });

  it('refuses a message of many small tokens as soon as it passes maxBytes, in any chunking', () => {
    const big = pack([0, 1, 'echo', Array.from({ length: 2000 }, () => 1)]);
    expect(refusal([big], 1024).code).toBe(Code.LimitExceeded);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length; i += 100) chunks.push(big.subarray(i, i + 100));
    expect(refusal(chunks, 1024).code).toBe(Code.LimitExceeded);
  });

  it('accepts a message of exactly maxBytes', () => {
    const msg = hex('92 a3 616263 c0');
    expect(collect([msg], bare(msg.length))).toEqual([msg]);
    expect(refusal([hex('92 a3 616263 c2')], msg.length - 1).code).toBe(Code.LimitExceeded);
  });

  it('refuses nesting past maxDepth, counting the message array as level 1', () => {
    expect(collect([hex('91 91 91 c0')], bare(1024, 3))).toEqual([hex('91 91 91 c0')]);
    const r = refusal([hex('91 91 91 91 c0')], 1024, 3);
    expect(r).toEqual({ code: Code.LimitExceeded, message: 'msgpack: nesting deeper than 3 levels' });
  });

  it('refuses 0xc1, a byte that starts no MessagePack token, as unreadable', () => {
    expect(refusal([hex('94 00 01 c1')], 1024)).toEqual({
      code: Code.ParseError,
      message: 'msgpack: invalid byte 0xc1',
    });
  });

  it('finds the end of values it cannot decode (unknown ext, non-string keys): decoding refuses those later', () => {
    const values = [hex('94 00 01 a1 61 91 d4 05 00'), hex('94 00 02 a1 61 91 81 01 02')];
    expect(collect([Buffer.concat(values)])).toEqual(values);
  });

  it('reads a 4 MiB message in 4 KiB chunks in linear time', () => {
    // 4 MiB of one-byte tokens: rescanning from the start on every chunk would read
    // about 2 GiB; reading on from where the last chunk stopped reads 4 MiB.
    const count = 4 * 1024 * 1024 - 16;
    const msg = Buffer.alloc(count + 5, 0x01);
    msg[0] = 0xdd;
    msg.writeUInt32BE(count, 1);
    const framer = bare(8 << 20);
    const started = performance.now();
    let found = 0;
    for (let i = 0; i < msg.length; i += 4096)
      framer.push(msg.subarray(i, i + 4096), (f) => (found = f.length));
    expect(found).toBe(msg.length);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('the msgpack port framer: length prefix or bare, by the first byte', () => {
  const either = (): Framer => createEitherFramer({ maxBytes: 1024 }, { maxBytes: 1024, maxDepth: 64 });

  it('reads 0x00… as a length prefix and sends what the codec encoded', () => {
    const framer = either();
    const out: Buffer[] = [];
    framer.push(hex('00000002 9100'), (f) => out.push(Buffer.from(f)));
    expect(out).toEqual([hex('9100')]);
    expect(framer.outgoing).toBeUndefined();
  });

  it.each([0x93, 0x94])('reads 0x%s… as bare msgpack-rpc and drops the prefix of what it sends', (first) => {
    const framer = either();
    const msg = first === 0x93 ? hex('93 02 a1 78 90') : hex('94 00 01 a1 78 90');
    const out: Buffer[] = [];
    framer.push(Buffer.concat([msg, msg]), (f) => out.push(Buffer.from(f)));
    expect(out).toEqual([msg, msg]);
    expect(framer.outgoing?.(hex('00000001 c0'))).toEqual(hex('c0'));
  });

  it('gives any other first byte the length framer refusal, as before', () => {
    const framer = createEitherFramer(
      { maxBytes: 1024, tooLarge: () => Buffer.from('too large') },
      { maxBytes: 1024, maxDepth: 64 },
    );
    expect(() => framer.push(hex('92 00 01 02'), () => {})).toThrow(FrameError);
  });

  it('drops the prefix from the first part of a message sent in parts, copying nothing', () => {
    const first = hex('00000009 94 01 02 c0 c6');
    const parts = withoutPrefix([first, hex('00000000')]) as Buffer[];
    expect(parts[0]).toEqual(hex('94 01 02 c0 c6'));
    expect(parts[0]!.buffer).toBe(first.buffer);
    expect(parts[1]).toEqual(hex('00000000'));
  });
});
