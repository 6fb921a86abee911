/**
 * Byte mutations for the fuzzer, driven by a seeded xorshift generator so a run can
 * be repeated (`--seed`). Two levels: body mutations keep the protocol's framing
 * intact (the message still arrives as one message), raw mutations may break it
 * (length fields, truncation, a frame that never ends).
 */

/** Rng is a small seeded generator (xorshift32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** next returns a uint32. */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** int returns an integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
}

// Bytes that mean something to one of the parsers: delimiters, msgpack type bytes,
// UTF-8 lead and invalid bytes.
const INTERESTING = [
  0x00, 0x01, 0x0a, 0x0d, 0x20, 0x22, 0x26, 0x2c, 0x3a, 0x3c, 0x3e, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80,
  0x90, 0xa0, 0xbf, 0xc0, 0xc1, 0xc4, 0xc6, 0xc7, 0xcb, 0xd4, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xed, 0xef,
  0xf4, 0xf5, 0xfe, 0xff,
];
// Tokens that are interesting when inserted whole.
const TOKENS = [
  '"',
  '\\',
  '\\u',
  '\\ud800',
  '1e400',
  '-0',
  '9007199254740993',
  'null',
  '[',
  ']',
  '{',
  '}',
  '<value>',
  '</value>',
  '<array><data>',
  '<struct><member><name>',
  '&#1;',
  '&#xD800;',
  '&amp;',
  '&bogus;',
  '<!DOCTYPE x [<!ENTITY a "b">]>',
  '<![CDATA[',
  '__proto__',
].map((t) => Buffer.from(t));

/** MutationKind names each mutation, for the report. */
export type MutationKind =
  | 'flip'
  | 'byte'
  | 'insert'
  | 'delete'
  | 'truncate'
  | 'splice'
  | 'duplicate'
  | 'token'
  | 'length'
  | 'nest';

/**
 * mutateBody applies 1–4 mutations to `seed`; `other` is a second seed for splicing;
 * `nest` wraps the body's value in many levels of nesting (given by the protocol).
 */
export function mutateBody(
  rng: Rng,
  seed: Buffer,
  other: Buffer,
  nest: (body: Buffer, depth: number) => Buffer,
): Buffer {
  let b: Buffer = Buffer.from(seed);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(10)) {
      case 0: // bit flip
        if (b.length > 0) b[at % b.length] = b[at % b.length]! ^ (1 << rng.int(8));
        break;
      case 1: // an interesting byte
        if (b.length > 0) b[at % b.length] = rng.pick(INTERESTING);
        break;
      case 2: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + rng.int(8)), b.subarray(at)]);
        break;
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rng.int(8))]);
        break;
      case 4: // truncate
        b = b.subarray(0, at);
        break;
      case 5: // splice: our head, the other seed's tail
        b = Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
        break;
      case 6: {
        // duplicate a chunk in place
        const len = 1 + rng.int(32);
        b = Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
        break;
      }
      case 7: // a token
        b = Buffer.concat([b.subarray(0, at), rng.pick(TOKENS), b.subarray(at)]);
        break;
      case 8: // a length-like field: 1, 2 or 4 bytes set to a boundary value
        if (b.length > 4) {
          const width = rng.pick([1, 2, 4]);
          const i = rng.int(b.length - width + 1);
          const v = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0xffffffff]);
          for (let k = 0; k < width; k++) b[i + k] = (v >>> (8 * (width - 1 - k))) & 0xff;
        }
        break;
      default: // deep nesting
        b = nest(b, rng.pick([65, 100, 1000, 20_000]));
        r = rounds; // one is enough
    }
  }
  return b;
}

/** randomBytes returns `n` random bytes. */
export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.next() & 0xff;
  return b;
}
