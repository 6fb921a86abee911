/**
 * fast-check arbitraries for the property tests: the values each wire type system
 * allows, text of every kind, and mutations of valid messages (bit flips, byte
 * inserts and deletes, truncation), so "any bytes" also reaches deep into the parsers.
 */
import fc from 'fast-check';

/** RUNS bounds every property so the suite stays at seconds in `npm test`. */
export const RUNS = { numRuns: 400 } as const;

/** text is any well-formed string: every code point, pairs included. */
export const text = fc.string({ unit: 'binary', maxLength: 24 });

/** anyUnits is any sequence of UTF-16 units, lone surrogates included. */
export const anyUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 24,
});

// The characters XML 1.0 cannot carry.
const UNCARRIABLE_SOURCE = String.raw`\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff`;
const UNCARRIABLE = new RegExp(`[${UNCARRIABLE_SOURCE}]`, 'g');

/** xmlText is any well-formed string XML 1.0 can carry. */
export const xmlText = text.map((s) => s.replace(UNCARRIABLE, '?'));

/** tree builds nested arrays and string-keyed objects over `leaf`, at most 4 deep. */
export function tree(leaf: fc.Arbitrary<unknown>, key: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf,
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
    ),
  }));
  return value;
}

/** bigint64 is a bigint beyond ±2^53 within the int64/uint64 range (a smaller one arrives as a number). */
export const bigint64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) - 1n }),
  fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 64n - 1n }),
);

/** mutate applies one of the fuzzer's byte mutations to `bytes`, driven by fast-check. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(3), fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }))
    .map(([bytes, edits]) => {
      let b = Buffer.from(bytes);
      for (const [kind, at, byte] of edits) {
        const i = b.length === 0 ? 0 : at % b.length;
        if (kind === 0 && b.length > 0) b[i] = b[i]! ^ (1 << (byte % 8));
        else if (kind === 1) b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
        else if (kind === 2) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
        else b = b.subarray(0, i);
      }
      return b;
    });
}

/** normalise maps a value to what equality should compare: -0 is 0, binary data is its bytes. */
export function normalise(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(normalise);
  if (v instanceof Date || typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    Object.defineProperty(out, k, {
      value: normalise(x),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
