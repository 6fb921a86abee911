/**
 * The value layer of the msgpack protocol: one msgpackr Packr/Unpackr configured for
 * the standard MessagePack subset polyrpc speaks, and a byte-level check that runs
 * before msgpackr sees a frame.
 *
 * msgpackr alone is not enough for untrusted input: its extension table is global and
 * always on (records, structured clone, Set, RegExp, Error, typed arrays, `undefined`),
 * it renames a `__proto__` key to `__proto_`, it recurses once per nesting level, and
 * it encodes integers beyond 32 bits as float64. {@link checkFrame} rejects everything
 * outside the subset in one iterative pass (no recursion, so a 100k-deep array is just
 * an error), and {@link encodeFrame} rewrites integral float64s as int64/uint64.
 * @internal
 */
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { Code } from '../../rpc/errors.js';
import { isUtf8Range, replaceEncodedSurrogates } from '../unicode.js';
import { installExtensions } from './extensions.js';

/**
 * DecodeError is a frame whose bytes are not a value of the supported subset. `code`
 * is {@link Code.ParseError}, or {@link Code.LimitExceeded} for nesting too deep.
 * @internal
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    readonly code: number = Code.ParseError,
    /**
     * The frame's value with its invalid text replaced, when the frame is well formed
     * apart from a str that is not UTF-8: enough to find a request's msgid.
     */
    readonly readable?: unknown,
  ) {
    super(message);
  }
}

/** HEADER_BYTES is the size of the big-endian length prefix in front of each frame. */
export const HEADER_BYTES = 4;

// Timestamps beyond what a Date holds (±8.64e15 ms) would decode to an invalid Date.
const MAX_DATE_SECONDS = 8_640_000_000_000;
const MAX_NANOS = 999_999_999;
const TWO_53 = 2 ** 53;

// Options, measured and chosen for a standard, safe subset (docs/msgpack.md):
// no records (0x40–0x7f stay fixints), no structured clone or moreTypes (no ext 0x65,
// 0x70, 0x73, 0x74, 0x78), undefined as nil rather than ext 0, variable-size map
// headers (fixmap for small maps, no 65535-key ceiling), int64 as bigint only outside
// ±2^53, bins as views into the frame (no copy).
const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  encodeUndefinedAsNil: true,
  variableMapSize: true,
  useFloat32: 0,
  onInvalidDate: () => {
    throw new TypeError('msgpack: cannot encode an invalid Date');
  },
});

// Typed arrays wider than a byte and values from another realm: see extensions.ts.
installExtensions();

// `'auto'` is supported by msgpackr 2.x but missing from its type declarations.
const unpackOptions = { useRecords: false, mapsAsObjects: true, int64AsType: 'auto', copyBuffers: false };
const unpackr = new Unpackr(unpackOptions as ConstructorParameters<typeof Unpackr>[0]);
// Used only for frames holding a `__proto__` key: maps come back as Maps and are
// rebuilt with that key as an own data property.
const mapUnpackr = new Unpackr({ ...unpackOptions, mapsAsObjects: false } as ConstructorParameters<
  typeof Unpackr
>[0]);

/**
 * encodeFrame encodes one value with its 4-byte length prefix in a single buffer.
 * The result is a view into msgpackr's slab that later encodes never overwrite.
 * @throws Error when the value holds something MessagePack cannot carry (a symbol, a
 * bigint beyond 64 bits, an invalid Date, a cycle too deep for the stack).
 */
export function encodeFrame(value: unknown): Buffer {
  const out = packr.pack(value, RESERVE_START_SPACE | HEADER_BYTES);
  const length = out.length - HEADER_BYTES;
  out[0] = length >>> 24;
  out[1] = (length >>> 16) & 0xff;
  out[2] = (length >>> 8) & 0xff;
  out[3] = length & 0xff;
  // memchr-fast: most frames hold no float64 (0xcb) and no 0xed (which leads the
  // 3-byte form msgpackr writes for a lone surrogate), and skip the walk.
  if (out.indexOf(0xcb, HEADER_BYTES) !== -1 || out.indexOf(0xed, HEADER_BYTES) !== -1)
    walk(out, HEADER_BYTES, out.length, Infinity, true);
  return out;
}

/**
 * decodeValue checks and decodes exactly one value filling `frame`.
 * @throws DecodeError when the bytes are truncated, malformed, use a type outside the
 * subset (an extension other than timestamp -1, a non-string map key), nest deeper
 * than `maxDepth`, leave bytes over after the value, or hold a str that is not valid
 * UTF-8 (then with `readable` set).
 */
export function decodeValue(frame: Uint8Array, maxDepth: number): unknown {
  const flags = walk(frame, 0, frame.length, maxDepth, false);
  let value: unknown;
  try {
    value = flags & PROTO_KEY ? fromMaps(mapUnpackr.unpack(frame)) : unpackr.unpack(frame);
  } catch (err) {
    // Unreachable for frames that passed the walk; kept so msgpackr never throws through.
    throw new DecodeError(`msgpack: ${err instanceof Error ? err.message : 'undecodable frame'}`);
  }
  if (flags & BAD_TEXT) throw new DecodeError('msgpack: a str is not valid UTF-8', Code.ParseError, value);
  return value;
}

function fromMaps(value: unknown): unknown {
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      if (k === '__proto__')
        Object.defineProperty(out, k, {
          value: fromMaps(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[k as string] = fromMaps(v);
    }
    return out;
  }
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = fromMaps(value[i]);
  return value;
}

// Walk stack, reused across calls (walks never nest) and grown on demand.
// `remaining[d]` counts the items still to read at depth d (a map counts keys and
// values, so an even count left means a key comes next); `inMap[d]` marks map levels.
let remaining = new Float64Array(80);
let inMap = new Uint8Array(80);

// What a check walk found besides errors.
const PROTO_KEY = 1; // a map has a `__proto__` key
const BAD_TEXT = 2; // a str is not valid UTF-8

/**
 * walk reads the token structure of one value in `b[start, end)` without building it.
 * In check mode it validates the subset and returns {@link PROTO_KEY} and
 * {@link BAD_TEXT} flags; in fix mode (our own output) it rewrites integral float64s
 * as integers and lone surrogates in strs as U+FFFD.
 */
function walk(b: Uint8Array, start: number, end: number, maxDepth: number, fix: boolean): number {
  let pos = start;
  let flags = 0;
  let depth = 0;
  remaining[0] = 1;
  inMap[0] = 0;
  for (;;) {
    const left = remaining[depth]!;
    if (left === 0) {
      if (depth === 0) break;
      depth--;
      continue;
    }
    remaining[depth] = left - 1;
    if (pos >= end) throw truncated();
    const t = b[pos++]!;
    let len = -1; // a str or bin length
    let str = false;
    let items = -1; // an array or map's item count
    let map = 0;
    // A map key must be a string.
    const key = inMap[depth] === 1 && left % 2 === 0 && !fix;
    if (key && (t < 0xa0 || t > 0xbf) && t !== 0xd9 && t !== 0xda && t !== 0xdb)
      throw new DecodeError('msgpack: map keys must be strings');
    if (t < 0x80 || t >= 0xe0) continue; // fixints
    if (t < 0x90) {
      items = (t & 0x0f) * 2;
      map = 1;
    } else if (t < 0xa0) items = t & 0x0f;
    else if (t < 0xc0) {
      len = t & 0x1f;
      str = true;
    } else {
      switch (t) {
        case 0xc0: // nil, false, true
        case 0xc2:
        case 0xc3:
          continue;
        case 0xc4: // bin 8, 16, 32
        case 0xc5:
        case 0xc6: {
          const size = 1 << (t - 0xc4);
          len = readUint(b, pos, end, size);
          pos += size;
          break;
        }
        case 0xd9: // str 8, 16, 32
        case 0xda:
        case 0xdb: {
          const size = 1 << (t - 0xd9);
          len = readUint(b, pos, end, size);
          pos += size;
          str = true;
          break;
        }
        case 0xcc: // uint 8, int 8
        case 0xd0:
          len = 1;
          break;
        case 0xcd:
        case 0xd1:
          len = 2;
          break;
        case 0xca: // float 32, uint 32, int 32
        case 0xce:
        case 0xd2:
          len = 4;
          break;
        case 0xcf: // uint 64, int 64
        case 0xd3:
          len = 8;
          break;
        case 0xcb: // float 64
          if (pos + 8 > end) throw truncated();
          if (fix) fixFloat(b, pos);
          len = 8;
          break;
        case 0xd4: // fixext 1, 2, 4, 8, 16
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          pos = ext(b, pos, end, 1 << (t - 0xd4), fix);
          continue;
        case 0xc7: // ext 8, 16, 32
          pos = ext(b, pos + 1, end, readUint(b, pos, end, 1), fix);
          continue;
        case 0xc8:
          pos = ext(b, pos + 2, end, readUint(b, pos, end, 2), fix);
          continue;
        case 0xc9:
          pos = ext(b, pos + 4, end, readUint(b, pos, end, 4), fix);
          continue;
        case 0xdc: // array 16, 32
          items = readUint(b, pos, end, 2);
          pos += 2;
          break;
        case 0xdd:
          items = readUint(b, pos, end, 4);
          pos += 4;
          break;
        case 0xde: // map 16, 32
          items = readUint(b, pos, end, 2) * 2;
          map = 1;
          pos += 2;
          break;
        case 0xdf:
          items = readUint(b, pos, end, 4) * 2;
          map = 1;
          pos += 4;
          break;
        default: // 0xc1, never used
          throw new DecodeError(`msgpack: invalid byte 0x${t.toString(16)}`);
      }
    }
    if (len >= 0) {
      if (len > end - pos) throw truncated();
      if (str) {
        if (fix) replaceEncodedSurrogates(b, pos, len);
        else if (!isUtf8Range(b, pos, len)) flags |= BAD_TEXT;
      }
      if (key && len === 9 && isProto(b, pos)) flags |= PROTO_KEY;
      pos += len;
      continue;
    }
    // An array or a map: each item takes at least one byte, so a huge count in a
    // short frame is refused before anything is allocated.
    if (depth + 1 > maxDepth)
      throw new DecodeError(`msgpack: nesting deeper than ${maxDepth} levels`, Code.LimitExceeded);
    if (items > end - pos) throw truncated();
    if (items === 0) continue;
    depth++;
    if (depth === remaining.length) grow();
    remaining[depth] = items;
    inMap[depth] = map;
  }
  if (pos !== end) throw new DecodeError(`msgpack: ${end - pos} bytes left over after the value`);
  return flags;
}

function grow(): void {
  const r = new Float64Array(remaining.length * 2);
  r.set(remaining);
  remaining = r;
  const m = new Uint8Array(inMap.length * 2);
  m.set(inMap);
  inMap = m;
}

function ext(b: Uint8Array, at: number, end: number, size: number, fix: boolean): number {
  if (at > end || size + 1 > end - at) throw truncated();
  const type = b[at]!;
  if (type !== 0xff) throw new DecodeError(`msgpack: extension type ${(type << 24) >> 24} is not supported`);
  if (!fix) checkTimestamp(b, at + 1, size);
  return at + 1 + size;
}

function isProto(b: Uint8Array, at: number): boolean {
  // "__proto__"
  return (
    b[at] === 0x5f &&
    b[at + 1] === 0x5f &&
    b[at + 2] === 0x70 &&
    b[at + 3] === 0x72 &&
    b[at + 4] === 0x6f &&
    b[at + 5] === 0x74 &&
    b[at + 6] === 0x6f &&
    b[at + 7] === 0x5f &&
    b[at + 8] === 0x5f
  );
}

function readUint(b: Uint8Array, at: number, end: number, size: number): number {
  if (at + size > end) throw truncated();
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + b[at + i]!;
  return n;
}

function truncated(): DecodeError {
  return new DecodeError('msgpack: truncated value');
}

// The timestamp extension (-1): 32-bit seconds, 64-bit (30-bit ns + 34-bit s) or
// 96-bit (32-bit ns + int64 s). Nanoseconds must be below 1e9 and the instant must
// fit a Date.
function checkTimestamp(b: Uint8Array, at: number, size: number): void {
  if (size === 4) return;
  if (size === 8) {
    if (u32(b, at) >>> 2 > MAX_NANOS) throw new DecodeError('msgpack: timestamp nanoseconds out of range');
    return;
  }
  if (size !== 12) throw new DecodeError(`msgpack: timestamp of ${size} bytes`);
  if (u32(b, at) > MAX_NANOS) throw new DecodeError('msgpack: timestamp nanoseconds out of range');
  const hi = u32(b, at + 4);
  const seconds = (hi >= 0x80000000 ? hi - 0x100000000 : hi) * 0x100000000 + u32(b, at + 8);
  if (Math.abs(seconds) > MAX_DATE_SECONDS) throw new DecodeError('msgpack: timestamp out of the Date range');
}

function u32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

// msgpackr writes integers outside the 32-bit range as float64. Rewrite those within
// ±2^53 as int64/uint64 (same 9 bytes) so peers with an int type see an int. The
// double is read through a scratch array: most float64s are not integral, and a
// DataView per value would cost more than the check.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fixFloat(b: Uint8Array, at: number): void {
  for (let i = 0; i < 8; i++) scratchBytes[littleEndian ? 7 - i : i] = b[at + i]!;
  const v = scratch[0]!;
  if (!Number.isInteger(v) || Math.abs(v) > TWO_53 || Object.is(v, -0)) return;
  const view = new DataView(b.buffer, b.byteOffset + at, 8);
  if (v >= 0) {
    b[at - 1] = 0xcf;
    view.setBigUint64(0, BigInt(v));
  } else {
    b[at - 1] = 0xd3;
    view.setBigInt64(0, BigInt(v));
  }
}
