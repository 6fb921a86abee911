import { describe, expect, it } from 'vitest';
import { createFramer } from '../../../src/transport/msgpack/framing.js';
import { FrameError } from '../../../src/transport/types.js';

const frameOf = (body: Buffer): Buffer => {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
};

// Bodies of assorted sizes, including empty and one spanning many small chunks.
const BODIES = [
  Buffer.from([0x01]),
  Buffer.alloc(0),
  Buffer.from('a3616263', 'hex'),
  Buffer.alloc(300, 7),
  Buffer.from([0xc0]),
];
const STREAM = Buffer.concat(BODIES.map(frameOf));

const collect = (chunks: Buffer[], max = 1 << 20): Buffer[] => {
  const framer = createFramer({ maxBytes: max });
  const out: Buffer[] = [];
  for (const c of chunks) framer.push(c, (f) => out.push(Buffer.from(f)));
  expect(framer.pending).toBe(0);
  return out;
};

describe('framing', () => {
  it('splits coalesced frames in one chunk, handing out views without copying', () => {
    const framer = createFramer({ maxBytes: 1024 });
    const views: Buffer[] = [];
    framer.push(STREAM, (f) => views.push(f as Buffer));
    expect(views).toEqual(BODIES);
    for (const v of views) expect(v.buffer).toBe(STREAM.buffer);
  });

  it('reassembles a stream split into two chunks at every byte boundary', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(collect([STREAM.subarray(0, cut), STREAM.subarray(cut)])).toEqual(BODIES);
    }
  });

  it('reassembles a stream split into three chunks at every pair of boundaries (first 40 bytes)', () => {
    for (let a = 0; a <= 40; a++)
      for (let b = a; b <= 40; b++)
        expect(collect([STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)])).toEqual(BODIES);
  });

  it('reassembles a stream fed one byte at a time', () => {
    const chunks = [...STREAM].map((b) => Buffer.from([b]));
    expect(collect(chunks)).toEqual(BODIES);
  });

  it('reports bytes pending for an incomplete header and body', () => {
    const framer = createFramer({ maxBytes: 1024 });
    const seen: Buffer[] = [];
    framer.push(Buffer.from([0, 0]), (f) => seen.push(f as Buffer));
    expect(framer.pending).toBe(2);
    framer.push(Buffer.from([0, 3, 0xa1]), (f) => seen.push(f as Buffer));
    expect(framer.pending).toBe(5);
    framer.push(Buffer.from([0x61, 0xc0]), (f) => seen.push(f as Buffer));
    expect(framer.pending).toBe(0);
    expect(seen).toEqual([Buffer.from([0xa1, 0x61, 0xc0])]);
  });

  it('accepts a frame of exactly the limit', () => {
    expect(collect([frameOf(Buffer.alloc(16))], 16)).toEqual([Buffer.alloc(16)]);
  });

  it('rejects a length over the limit from the header alone, before buffering, with the error frame', () => {
    const reply = Buffer.from('error frame');
    const framer = createFramer({ maxBytes: 16, tooLarge: (len, max) => (len > max ? reply : undefined) });
    let frames = 0;
    const push = (b: Buffer) => () => framer.push(b, () => frames++);
    expect(push(Buffer.from([0xff, 0xff, 0xff]))).not.toThrow();
    let error: unknown;
    try {
      push(Buffer.from([0xff]))();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).message).toMatch(/4294967295 bytes exceeds the limit of 16/);
    expect((error as FrameError).reply).toBe(reply);
    expect(frames).toBe(0);
  });

  it('rejects an oversized frame that follows good ones in the same chunk, after delivering them', () => {
    const framer = createFramer({ maxBytes: 16 });
    const seen: Buffer[] = [];
    const chunk = Buffer.concat([frameOf(Buffer.from([1])), Buffer.from([0, 0, 0, 17])]);
    expect(() => framer.push(chunk, (f) => seen.push(f as Buffer))).toThrow(FrameError);
    expect(seen).toEqual([Buffer.from([1])]);
  });
});
