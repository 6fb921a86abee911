/**
 * Bare msgpack-rpc framing, as the msgpack-rpc specification, Neovim and the
 * msgpack-rpc libraries send it: MessagePack values back to back, no length prefix.
 * Each value's end is found by reading its token structure ({@link Extent}). Pure; no
 * sockets.
 *
 * Exports: createBareFramer, BareFramerOptions, isBareStart, withoutPrefix.
 * @internal
 */
import { type FrameBytes, FrameError, type Framer } from '../types.js';
import { Extent } from './extent.js';
import { DecodeError } from './values.js';

/** BareFramerOptions configure {@link createBareFramer}. */
export interface BareFramerOptions {
  /** Largest message accepted, in bytes; nothing past it is buffered. */
  readonly maxBytes: number;
  /** Deepest nesting accepted (the message array is level 1). */
  readonly maxDepth: number;
  /**
   * refuse returns the encoded error message sent before the connection closes when a
   * message breaks a limit or is no MessagePack. Defaults to sending nothing.
   */
  readonly refuse?: (code: number, message: string) => Uint8Array | undefined;
}

/**
 * createBareFramer returns a bare framer for one connection. A message that lies whole
 * inside a chunk is handed out as a view into that chunk (no copy); a message split
 * across chunks is gathered into a buffer of its own, grown by doubling (or at once to
 * the end of a string or binary whose header has arrived), so gathering and scanning
 * are linear in its size. Frames are never reused by the framer, so they may be kept.
 * Outgoing messages lose the length prefix the msgpack encoders write (`outgoing`).
 * A limit broken or a byte that starts no MessagePack token is a FrameError: the end
 * of that message cannot be found, so the connection must close.
 */
export function createBareFramer(options: BareFramerOptions): Framer {
  return new BareFramer(options);
}

class BareFramer implements Framer {
  /** Messages are encoded with a length prefix; a bare connection sends them without. */
  readonly outgoing = withoutPrefix;
  readonly #extent: Extent;
  // A message split across chunks: its bytes so far (capacity may exceed `#held`).
  #partial: Buffer | null = null;
  #held = 0;

  constructor(readonly options: BareFramerOptions) {
    this.#extent = new Extent(options.maxBytes, options.maxDepth);
  }

  get pending(): number {
    return this.#held;
  }

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    try {
      this.#push(chunk, onFrame);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.#partial = null;
      this.#held = 0;
      throw new FrameError(err.message, this.options.refuse?.(err.code, err.message));
    }
  }

  #push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    const extent = this.#extent;
    const n = chunk.length;
    let off = 0;
    if (this.#partial !== null) {
      // Copy what may belong to the message (never past the limit), then go on
      // scanning where the last chunk stopped. Bytes copied past its end are read
      // again from the chunk.
      const before = this.#held;
      const take = Math.min(n, this.options.maxBytes - before);
      const partial = this.#reserve(before + take);
      chunk.copy(partial, before, 0, take);
      this.#held = before + take;
      if (this.#held < extent.need) return;
      const end = extent.scan(partial, 0, this.#held);
      if (end < 0) return;
      this.#partial = null;
      this.#held = 0;
      extent.reset();
      off = end - before;
      onFrame(partial.subarray(0, end));
    }
    while (off < n) {
      const end = extent.scan(chunk, off, n);
      if (end < 0) {
        this.#held = n - off;
        chunk.copy(this.#reserve(this.#held), 0, off, n);
        return;
      }
      extent.reset();
      onFrame(chunk.subarray(off, end));
      off = end;
    }
  }

  // The gathering buffer, with room for `bytes` and for what the scan says is needed.
  #reserve(bytes: number): Buffer {
    const have = this.#partial;
    if (have !== null && have.length >= bytes) return have;
    const max = this.options.maxBytes;
    const doubled = 2 * (have?.length ?? bytes);
    const grown = Buffer.allocUnsafe(Math.min(max, Math.max(bytes, this.#extent.need, doubled)));
    if (have !== null) have.copy(grown, 0, 0, this.#held);
    this.#partial = grown;
    return grown;
  }
}

/** isBareStart tells whether a connection's first byte starts a bare msgpack-rpc message (fixarray of 3 or 4). */
export function isBareStart(byte: number): boolean {
  return byte === 0x93 || byte === 0x94;
}

/**
 * withoutPrefix drops the 4-byte length prefix the msgpack encoders write in front of
 * each message (from the first part of a message in parts). No bytes are copied.
 */
export function withoutPrefix(message: FrameBytes): FrameBytes {
  if (message instanceof Uint8Array) return message.subarray(4);
  const [first, ...rest] = message;
  return first === undefined ? message : [first.subarray(4), ...rest];
}
