/**
 * Properties of the msgpack codec: every value the wire type system allows
 * round-trips; any string (lone surrogates included) is written as valid UTF-8; and
 * any bytes, random or mutated from a valid frame, decode to a message or to the
 * protocol's own error, never a throw.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Code } from '../../src/rpc/errors.js';
import { clientCodec, serverCodec } from '../../src/transport/msgpack/codec.js';
import { createFramer } from '../../src/transport/msgpack/framing.js';
import { DecodeError, decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { defaultLimits, FrameError } from '../../src/transport/types.js';
import { isUtf8Range } from '../../src/transport/unicode.js';
import { anyUnits, bigint64, mutated, normalise, RUNS, text, tree } from './arbitraries.js';

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  fc.double(),
  bigint64,
  text,
  fc.uint8Array({ maxLength: 16 }),
  fc.date({ noInvalidDate: true }),
);
const value = tree(leaf, text);
const body = (v: unknown): Buffer => encodeFrame(v).subarray(4);

const ERRORS = new Set<number>([Code.ParseError, Code.InvalidRequest, Code.LimitExceeded]);

describe('msgpack properties', () => {
  it('every allowed value round-trips', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(normalise(decodeValue(body(v), 64))).toEqual(normalise(v));
      }),
      RUNS,
    );
  });

  it('any string is written as valid UTF-8 and read back with lone surrogates as U+FFFD', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        expect(decodeValue(body([s, { [s]: s }]), 64)).toEqual([
          s.toWellFormed(),
          { [s.toWellFormed()]: s.toWellFormed() },
        ]);
      }),
      RUNS,
    );
  });

  it('any bytes: decodeValue returns a value or throws DecodeError, nothing else', () => {
    const frames = fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(value.map(body)));
    fc.assert(
      fc.property(frames, (b) => {
        try {
          decodeValue(b, 64);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      RUNS,
    );
  });

  it('any bytes: the server codec answers a call, its own error, or nothing, and never throws', () => {
    const request = fc
      .tuple(fc.nat(), text, fc.array(value, { maxLength: 3 }))
      .map(([id, m, p]) => body([0, id, m, p]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(request)), (b) => {
        const incoming = serverCodec.decode(Buffer.from(b), defaultLimits);
        if (incoming.kind === 'reply')
          expect(ERRORS.has(incoming.reply.ok ? 0 : incoming.reply.error.code)).toBe(true);
        else expect(['call', 'ignore']).toContain(incoming.kind);
      }),
      RUNS,
    );
  });

  it('any bytes: the client codec never throws', () => {
    const reply = fc.tuple(fc.nat(), value).map(([id, v]) => body([1, id, null, v]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(reply)), (b) => {
        expect(['reply', 'push', 'invalid']).toContain(clientCodec.decode(Buffer.from(b)).kind);
      }),
      RUNS,
    );
  });

  it('any chunks: the framer yields frames or a FrameError, never another throw', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 8 }), (chunks) => {
        const framer = createFramer({ maxBytes: 1024 });
        try {
          for (const c of chunks)
            framer.push(Buffer.from(c), (f) => expect(f.length).toBeLessThanOrEqual(1024));
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
      RUNS,
    );
  });
});

describe('UTF-8 validation', () => {
  it("isUtf8Range agrees with Node's validator on any bytes, inline and SIMD lengths alike", () => {
    const utf8ish = fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom(0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xa0, 0x9f, 0x90, 0x8f),
      ),
      { maxLength: 120 },
    );
    fc.assert(
      fc.property(utf8ish, fc.nat(8), (bytes, pad) => {
        const b = Buffer.from([...Array(pad).fill(0xff), ...bytes]);
        expect(isUtf8Range(b, pad, bytes.length)).toBe(isUtf8(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});
