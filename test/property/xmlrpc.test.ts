/**
 * Properties of the XML-RPC codec: every value XML-RPC can carry round-trips through
 * a methodCall and a methodResponse; and any bytes, random or mutated from a valid
 * document, decode to a call or throw the protocol's own RpcError, nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPortableText } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { decodeCall, decodeResponse, encodeCall, encodeResult } from '../../src/transport/xmlrpc/codec.js';
import { bigint64, mutated, normalise, RUNS, tree, xmlText } from './arbitraries.js';

// dateTime.iso8601 holds whole seconds in years 0000–9999.
const date = fc
  .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000));
const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.maxSafeInteger(),
  bigint64.filter((b) => b < 2n ** 63n),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  xmlText,
  fc.uint8Array({ maxLength: 16 }),
  date,
);
const value = tree(leaf, xmlText);
const ERRORS = new Set<number>([
  Code.ParseError,
  Code.InvalidRequest,
  Code.InvalidParams,
  Code.LimitExceeded,
]);

const onlyRpcErrors = (decode: () => unknown): void => {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    expect(ERRORS.has((err as RpcError).code)).toBe(true);
  }
};

describe('XML-RPC properties', () => {
  it('every value XML-RPC can carry round-trips as params and as a result', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const call = decodeCall(Buffer.from(encodeCall('echo', [a, b])));
        expect(normalise(call.params)).toEqual(normalise([a, b]));
        const back = decodeResponse(Buffer.from(encodeResult(a)));
        expect(back.ok).toBe(true);
        if (back.ok) expect(normalise(back.value)).toEqual(normalise(a));
      }),
      RUNS,
    );
  });

  it('any bytes: decodeCall gives a call or the protocol error, never another throw', () => {
    const doc = value.map((v) => Buffer.from(encodeCall('echo', [v])));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(doc)), (b) =>
        onlyRpcErrors(() => decodeCall(b)),
      ),
      RUNS,
    );
  });

  it('any bytes: decodeResponse gives a result, a fault or the protocol error, never another throw', () => {
    const doc = value.map((v) => Buffer.from(encodeResult(v)));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated(doc)), (b) =>
        onlyRpcErrors(() => decodeResponse(b)),
      ),
      RUNS,
    );
  });

  it('a decoded string never holds a character XML 1.0 cannot carry, nor a lone surrogate', () => {
    const doc = value.map((v) => Buffer.from(encodeCall('echo', [v])));
    const strings = (v: unknown, out: string[]): string[] => {
      if (typeof v === 'string') out.push(v);
      else if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date))
        for (const [k, x] of Object.entries(v)) strings(x, out.concat(k));
      return out;
    };
    fc.assert(
      fc.property(mutated(doc), (b) => {
        let params: unknown[];
        try {
          params = decodeCall(b).params;
        } catch {
          return;
        }
        for (const s of strings(params, [])) {
          expect(isPortableText(s)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
