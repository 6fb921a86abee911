/**
 * Length-prefixed frames (4-byte big-endian length, then the body) for the raw TCP
 * echo floor. Chunks are kept as a list and joined once per frame, so a 1 MB frame
 * costs one copy.
 */

/** FrameReader splits a byte stream into frame bodies. */
export interface FrameReader {
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void;
}

/** createFrameReader returns a reader for frames of at most `maxBytes`. */
export function createFrameReader(maxBytes = 64 * 1024 * 1024): FrameReader {
  let chunks: Buffer[] = [];
  let held = 0;
  let need = -1; // body length of the frame being read, -1 while reading the header
  const take = (n: number): Buffer => {
    const first = chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      held -= n;
      return out;
    }
    const all = Buffer.concat(chunks, held);
    const out = all.subarray(0, n);
    chunks = all.length > n ? [all.subarray(n)] : [];
    held -= n;
    return out;
  };
  return {
    push(chunk, onFrame) {
      chunks.push(chunk);
      held += chunk.length;
      for (;;) {
        if (need < 0) {
          if (held < 4) return;
          need = take(4).readUInt32BE(0);
          if (need > maxBytes) throw new Error(`raw: frame of ${need} bytes is over the limit`);
        }
        if (held < need) return;
        const body = take(need);
        need = -1;
        onFrame(body);
      }
    },
  };
}

/** frame prefixes `body` with its length. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.byteLength);
  out.writeUInt32BE(body.byteLength, 0);
  out.set(body, 4);
  return out;
}

/** header returns the 4-byte length prefix alone (to write a large body without copying it). */
export function header(length: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(length, 0);
  return out;
}
