/**
 * Newline framing: one JSON message per line, `\n` or `\r\n` terminated, as jayson's
 * TCP client and server frame them. JSON text never contains a raw newline (it is
 * always escaped inside strings), so the first `\n` ends the message.
 */
import { FrameError, type Framer } from '../types.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * createLineFramer returns a framer that yields each line without its terminator.
 * Blank lines are skipped. A line longer than `maxLineBytes` is refused as soon as
 * that many bytes are seen without a newline, before they are buffered.
 * @param tooLongReply builds the framed error sent before the connection closes, if any
 *   (called only when a line is too long).
 */
export function createLineFramer(maxLineBytes: number, tooLongReply?: () => Uint8Array): Framer {
  // The start of an unfinished line: chunks (views into what the socket gave us).
  let parts: Buffer[] = [];
  let pending = 0;

  const tooLong = (): FrameError =>
    new FrameError(`jsonrpc: line longer than ${maxLineBytes} bytes`, tooLongReply?.());

  const emit = (frame: Buffer, onFrame: (frame: Buffer) => void): void => {
    let end = frame.length;
    if (end > 0 && frame[end - 1] === CR) end--;
    if (end > maxLineBytes) throw tooLong();
    if (end > 0) onFrame(end === frame.length ? frame : frame.subarray(0, end));
  };

  return {
    get pending() {
      return pending;
    },
    push(chunk: Buffer, onFrame: (frame: Buffer) => void) {
      let start = 0;
      let nl = chunk.indexOf(LF);
      if (nl !== -1 && pending > 0) {
        // Finish the held line. Its terminator may be a `\r` held over from the last chunk.
        if (pending + nl > maxLineBytes + 1) {
          parts = [];
          pending = 0;
          throw tooLong();
        }
        parts.push(chunk.subarray(0, nl));
        const whole = Buffer.concat(parts, pending + nl);
        parts = [];
        pending = 0;
        emit(whole, onFrame);
        start = nl + 1;
        nl = chunk.indexOf(LF, start);
      }
      while (nl !== -1) {
        emit(chunk.subarray(start, nl), onFrame);
        start = nl + 1;
        nl = chunk.indexOf(LF, start);
      }
      const rest = chunk.length - start;
      if (rest === 0) return;
      // One byte of slack: a line of exactly maxLineBytes may still be waiting for its `\r\n`.
      if (pending + rest > maxLineBytes + 1) {
        parts = [];
        pending = 0;
        throw tooLong();
      }
      parts.push(start === 0 ? chunk : chunk.subarray(start));
      pending += rest;
    },
  };
}
