/**
 * Finding where one MessagePack value ends in a byte stream that has no length
 * prefix (bare msgpack-rpc framing). Pure; no sockets.
 *
 * Exports: Extent, NEED_MORE.
 * @internal
 */
import { Code } from '../../rpc/errors.js';
import { DecodeError } from './values.js';

/** NEED_MORE is what {@link Extent.scan} returns while the value is still incomplete. */
export const NEED_MORE = -1;

/**
 * Extent reads the token structure of one value (headers and lengths only; the
 * subset, keys and timestamps are checked later by `decodeValue`, once the value is
 * whole) and remembers where it stopped, so a value arriving in many chunks is read
 * once in all, not again from its start on every chunk.
 *
 * A limit is refused as soon as a header shows it is crossed: a token ending past
 * `maxBytes` from the value's start (a long string's header is enough, before its
 * bytes arrive), more items than bytes left under the limit, or nesting deeper than
 * `maxDepth` (the value itself is level 1, as in `decodeValue`). Since neither the
 * end of such a value nor that of a byte that is no MessagePack (`0xc1`) can be found,
 * those throw.
 */
export class Extent {
  /** need is how many bytes from the value's start must be present before scanning can go on. */
  need = 1;
  // Where scanning stopped, relative to the value's start, and the open containers:
  // `remaining[d]` counts items still to read at depth d (a map counts keys and values).
  #pos = 0;
  #depth = 0;
  readonly #remaining: Float64Array;

  constructor(
    readonly maxBytes: number,
    readonly maxDepth: number,
  ) {
    this.#remaining = new Float64Array(maxDepth + 1);
    this.#remaining[0] = 1;
  }

  /** reset forgets the value scanned so far, to start on the next one. */
  reset(): void {
    this.need = 1;
    this.#pos = 0;
    this.#depth = 0;
    this.#remaining[0] = 1;
  }

  /**
   * scan goes on reading the value that starts at `b[start]`, whose bytes so far are
   * `b[start, end)` (the same bytes as at the last call, plus more), and returns the
   * index just past its end, or {@link NEED_MORE}.
   * @throws DecodeError with {@link Code.LimitExceeded} past `maxBytes` or `maxDepth`,
   * or {@link Code.ParseError} for a byte that starts no MessagePack token.
   */
  scan(b: Uint8Array, start: number, end: number): number {
    const remaining = this.#remaining;
    const max = this.maxBytes;
    const avail = end - start;
    let pos = this.#pos;
    let depth = this.#depth;
    for (;;) {
      while (remaining[depth] === 0) {
        if (depth === 0) {
          this.#pos = pos;
          return start + pos;
        }
        depth--;
      }
      if (pos >= avail) return this.#stop(pos, depth, pos + 1);
      const t = b[start + pos]!;
      let head = 1; // header bytes, the type byte included
      let size = -1; // the whole token's bytes, once known
      let items = 0;
      if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) size = 1;
      else if (t < 0x90) items = (t & 0x0f) * 2;
      else if (t < 0xa0) items = t & 0x0f;
      else if (t < 0xc0) size = 1 + (t & 0x1f);
      else if (t >= 0xca && t <= 0xd3) size = 1 + SCALAR_BYTES[t - 0xca]!;
      else if (t >= 0xd4 && t <= 0xd8) size = 2 + (1 << (t - 0xd4));
      else {
        head = HEAD_BYTES[t - 0xc4] ?? 0;
        if (head === 0) throw new DecodeError(`msgpack: invalid byte 0x${t.toString(16)}`);
        if (pos + head > avail) return this.#stop(pos, depth, pos + head);
        const n = readLength(b, start + pos + 1, t);
        if (t >= 0xdc) items = t >= 0xde ? n * 2 : n;
        else size = head + n;
      }
      if (size >= 0) {
        if (pos + size > avail) return this.#stop(pos, depth, pos + size);
        if (pos + size > max) throw tooLarge(max);
        remaining[depth] = remaining[depth]! - 1;
        pos += size;
        continue;
      }
      // An array or a map: each item takes at least one byte.
      if (pos + head + items > max) throw tooLarge(max);
      if (depth + 1 > this.maxDepth)
        throw new DecodeError(`msgpack: nesting deeper than ${this.maxDepth} levels`, Code.LimitExceeded);
      remaining[depth] = remaining[depth]! - 1;
      pos += head;
      if (items > 0) remaining[++depth] = items;
    }
  }

  // Not enough bytes for the token at `pos`, which ends at `need`.
  #stop(pos: number, depth: number, need: number): number {
    if (need > this.maxBytes) throw tooLarge(this.maxBytes);
    this.#pos = pos;
    this.#depth = depth;
    this.need = need;
    return NEED_MORE;
  }
}

// Payload bytes of 0xca..0xd3: float 32/64, uint 8/16/32/64, int 8/16/32/64.
const SCALAR_BYTES = [4, 8, 1, 2, 4, 8, 1, 2, 4, 8];

// Header bytes of the types whose length follows the type byte, from 0xc4 (0: not
// such a type, or no type at all): bin 8/16/32, ext 8/16/32 (the ext type byte
// counted in), then str 8/16/32 at 0xd9, array 16/32, map 16/32.
const HEAD_BYTES = [2, 3, 5, 3, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 5, 3, 5, 3, 5];

function readLength(b: Uint8Array, at: number, t: number): number {
  switch (t) {
    case 0xc4:
    case 0xc7:
    case 0xd9:
      return b[at]!;
    case 0xc5:
    case 0xc8:
    case 0xda:
    case 0xdc:
    case 0xde:
      return b[at]! * 256 + b[at + 1]!;
    default:
      return b[at]! * 0x1000000 + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
  }
}

function tooLarge(max: number): DecodeError {
  return new DecodeError(`msgpack: a message longer than the limit of ${max} bytes`, Code.LimitExceeded);
}
