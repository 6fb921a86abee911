/**
 * Length-prefixed framing: each frame is a 4-byte big-endian unsigned length, then
 * that many bytes. Pure; no sockets.
 */
import { FrameError, type Framer } from '../types.js';

/** FramerOptions configure {@link createFramer}. */
export interface FramerOptions {
  /** Largest frame body accepted, in bytes, checked as soon as its length is read. */
  readonly maxBytes: number;
  /**
   * tooLarge returns the encoded, framed error message to send before closing when a
   * frame is over the limit. Defaults to sending nothing.
   */
  readonly tooLarge?: (length: number, maxBytes: number) => Uint8Array | undefined;
}

/**
 * createFramer returns a framer for one connection. A frame that lies whole inside a
 * chunk is handed out as a view into that chunk (no copy); a frame split across chunks
 * is gathered into one buffer of exactly its size, allocated once its length is known
 * and checked. Frames are never reused by the framer, so they may be kept.
 */
export function createFramer(options: FramerOptions): Framer {
  const { maxBytes, tooLarge } = options;
  // A frame split across chunks: its body so far, or header bytes still to come.
  let body: Buffer | null = null;
  let filled = 0;
  let headerHeld = 0;
  let header = 0;

  const check = (length: number): void => {
    if (length > maxBytes)
      throw new FrameError(
        `msgpack: frame of ${length} bytes exceeds the limit of ${maxBytes}`,
        tooLarge?.(length, maxBytes),
      );
  };

  return {
    get pending() {
      return body !== null ? 4 + filled : headerHeld;
    },
    push(chunk: Buffer, onFrame: (frame: Buffer) => void) {
      const n = chunk.length;
      let off = 0;
      if (headerHeld > 0) {
        while (headerHeld < 4 && off < n) {
          header = header * 256 + chunk[off++]!;
          headerHeld++;
        }
        if (headerHeld < 4) return;
        headerHeld = 0;
        check(header);
        body = Buffer.allocUnsafe(header);
        filled = 0;
      }
      if (body !== null) {
        const take = Math.min(body.length - filled, n - off);
        chunk.copy(body, filled, off, off + take);
        filled += take;
        off += take;
        if (filled < body.length) return;
        const frame = body;
        body = null;
        onFrame(frame);
      }
      while (n - off >= 4) {
        const length = chunk.readUInt32BE(off);
        check(length);
        const from = off + 4;
        const to = from + length;
        if (to > n) {
          body = Buffer.allocUnsafe(length);
          filled = n - from;
          chunk.copy(body, 0, from, n);
          return;
        }
        off = to;
        onFrame(chunk.subarray(from, to));
      }
      header = 0;
      while (off < n) {
        header = header * 256 + chunk[off++]!;
        headerHeld++;
      }
    },
  };
}
