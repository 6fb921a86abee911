/**
 * Large binaries by reference: a message whose result, params or event holds a binary
 * of 64 KiB or more is encoded as parts (the bytes before it, a `bin 32` header, the
 * binary itself, the rest), so the payload is never copied into the frame. The parts
 * join to exactly the bytes {@link encodeFrame} would have written.
 */
import { randomBytes } from 'node:crypto';
import { encodeFrame, HEADER_BYTES } from './values.js';

/** Binaries this large, at the top of a message or of its params/result array, go by reference. */
export const SPLICE_BYTES = 64 * 1024;
const TAG_BYTES = 16;
// Placeholders stand where a large binary goes: a 16-byte bin whose first 12 bytes are
// random to this process (never sent: each is replaced before the frame leaves), so
// no value can collide with one by chance or by a peer's design.
const tagSeed = randomBytes(TAG_BYTES - 4);

function placeholder(i: number): Buffer {
  const tag = Buffer.allocUnsafe(TAG_BYTES);
  tagSeed.copy(tag, 0);
  tag.writeUInt32BE(i, TAG_BYTES - 4);
  return tag;
}

function isLarge(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.byteLength >= SPLICE_BYTES;
}

/**
 * encodeMessage encodes a msgpack-rpc message array like {@link encodeFrame}, but a
 * large binary (≥ {@link SPLICE_BYTES}) standing directly in the message or in an
 * array inside it (params, a result, `[subscription, event]`) is not copied into the
 * frame: the frame comes back in parts, the binary itself one of them, to be written
 * in order. The binary must not change until the frame has been written.
 * @throws Error as {@link encodeFrame} does.
 */
export function encodeMessage(message: readonly unknown[]): Buffer | Buffer[] {
  let large: Uint8Array[] | undefined;
  let copy: unknown[] | undefined;
  for (let i = 0; i < message.length; i++) {
    const el = message[i];
    if (isLarge(el)) {
      large ??= [];
      copy ??= [...message];
      copy[i] = placeholder(large.length);
      large.push(el);
    } else if (Array.isArray(el)) {
      let inner: unknown[] | undefined;
      for (let j = 0; j < el.length; j++) {
        const v: unknown = el[j];
        if (!isLarge(v)) continue;
        large ??= [];
        inner ??= [...el];
        inner[j] = placeholder(large.length);
        large.push(v);
      }
      if (inner !== undefined) {
        copy ??= [...message];
        copy[i] = inner;
      }
    }
  }
  if (large === undefined || copy === undefined) return encodeFrame(message);
  const out = encodeFrame(copy);
  const parts: Buffer[] = [];
  let from = 0;
  let length = out.length - HEADER_BYTES;
  for (let k = 0; k < large.length; k++) {
    const bin = large[k]!;
    // c4 10 <tag>: msgpackr's bin 8 for the 16-byte placeholder.
    const at = out.indexOf(placeholder(k), from) - 2;
    if (at < from || out[at] !== 0xc4 || out[at + 1] !== TAG_BYTES)
      throw new Error('msgpack: lost a placeholder');
    const head = Buffer.allocUnsafe(5);
    head[0] = 0xc6; // bin 32: the payload is at least 64 KiB
    head.writeUInt32BE(bin.byteLength, 1);
    parts.push(out.subarray(from, at), head, Buffer.from(bin.buffer, bin.byteOffset, bin.byteLength));
    from = at + 2 + TAG_BYTES;
    length += 5 + bin.byteLength - (2 + TAG_BYTES);
  }
  parts.push(out.subarray(from));
  out.writeUInt32BE(length, 0);
  return parts;
}
