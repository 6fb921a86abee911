import { describe, expect, it } from 'vitest';
import { createLineFramer } from '../../../src/transport/jsonrpc/framing.js';
import { FrameError } from '../../../src/transport/types.js';

function collect(framer: ReturnType<typeof createLineFramer>, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const c of chunks) framer.push(c, (f) => out.push(Buffer.from(f).toString('utf8')));
  return out;
}

const STREAM = '{"a":1}\n{"b":"é\\n"}\r\n\n{"c":[1,2]}\r\n';
const LINES = ['{"a":1}', '{"b":"é\\n"}', '{"c":[1,2]}'];

describe('line framer', () => {
  it('yields every line of one chunk, stripping \\n and \\r\\n, skipping blank lines', () => {
    expect(collect(createLineFramer(1024), [Buffer.from(STREAM)])).toEqual(LINES);
  });

  it('yields the same lines when the stream is split at every byte boundary', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const framer = createLineFramer(1024);
      expect(collect(framer, [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(LINES);
      expect(framer.pending).toBe(0);
    }
  });

  it('yields the same lines when fed one byte at a time', () => {
    const bytes = Buffer.from(STREAM);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(collect(createLineFramer(1024), chunks)).toEqual(LINES);
  });

  it('yields 10,000 messages from one chunk in order', () => {
    const text = Array.from({ length: 10_000 }, (_, i) => `{"id":${i}}\n`).join('');
    const out = collect(createLineFramer(1024), [Buffer.from(text)]);
    expect(out).toHaveLength(10_000);
    expect(out[9_999]).toBe('{"id":9999}');
  });

  it('holds an unfinished line and reports its size as pending', () => {
    const framer = createLineFramer(1024);
    expect(collect(framer, [Buffer.from('{"a":1}\n{"b"')])).toEqual(['{"a":1}']);
    expect(framer.pending).toBe(4);
  });

  it('accepts a line of exactly the limit, with either terminator, split anywhere', () => {
    const body = `"${'x'.repeat(14)}"`; // 16 bytes
    for (const term of ['\n', '\r\n']) {
      const bytes = Buffer.from(body + term);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const framer = createLineFramer(16);
        expect(collect(framer, [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([body]);
      }
    }
  });

  it('refuses a line over the limit with the given reply, before buffering it', () => {
    const reply = Buffer.from('error\n');
    const framer = createLineFramer(16, () => reply);
    const lines: string[] = [];
    let thrown: unknown;
    try {
      framer.push(Buffer.from('{"ok":1}\n'), (f) => lines.push(f.toString()));
      for (let i = 0; i < 100; i++) framer.push(Buffer.from('xxxxxxxx'), (f) => lines.push(f.toString()));
    } catch (err) {
      thrown = err;
    }
    expect(lines).toEqual(['{"ok":1}']);
    expect(thrown).toBeInstanceOf(FrameError);
    expect((thrown as FrameError).reply).toBe(reply);
    expect(framer.pending).toBeLessThanOrEqual(17);
  });

  it('refuses an over-long line that arrives whole in one chunk, after the lines before it', () => {
    const framer = createLineFramer(16);
    const lines: string[] = [];
    expect(() =>
      framer.push(Buffer.from(`{"a":1}\n${'y'.repeat(40)}\n{"b":2}\n`), (f) => lines.push(f.toString())),
    ).toThrow(FrameError);
    expect(lines).toEqual(['{"a":1}']);
  });
});
