/**
 * The msgpack port's framings: length-prefixed (each frame is a 4-byte big-endian
 * unsigned length, then that many bytes), bare (`bare-framing.ts`), and the server's
 * framer that takes either, told apart by a connection's first byte. Pure; no sockets.
 *
 * Exports: createFramer, FramerOptions, createEitherFramer.
 */
import { type FrameBytes, FrameError, type Framer } from '../types.js';
import { type BareFramerOptions, createBareFramer, isBareStart } from './bare-framing.js';

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

/**
 * createEitherFramer returns the server's framer for one connection of the msgpack
 * port. The first byte decides for the connection's whole life: `0x93` or `0x94` (a
 * fixarray of 3 or 4, the start of a bare msgpack-rpc message) selects bare framing,
 * and replies then go out without their length prefix (the bare framer's
 * `outgoing`); anything else is read as a length prefix, as always (a frame under
 * 16 MiB starts with `0x00`; other bytes get the length framer's own refusal). A
 * length whose first byte is `0x93` or `0x94` (2.3 GiB or more) is therefore never
 * read as one; no sensible `maxMessageBytes` allows such a frame anyway.
 */
export function createEitherFramer(length: FramerOptions, bare: BareFramerOptions): Framer {
  return new EitherFramer(length, bare);
}

class EitherFramer implements Framer {
  outgoing: ((message: FrameBytes) => FrameBytes) | undefined = undefined;
  #inner: Framer | undefined;

  constructor(
    readonly length: FramerOptions,
    readonly bare: BareFramerOptions,
  ) {}

  get pending(): number {
    return this.#inner?.pending ?? 0;
  }

  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (this.#inner === undefined) {
      if (chunk.length === 0) return;
      this.#inner = isBareStart(chunk[0]!) ? createBareFramer(this.bare) : createFramer(this.length);
      this.outgoing = this.#inner.outgoing;
    }
    this.#inner.push(chunk, onFrame);
  }
}
