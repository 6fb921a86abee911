/**
 * Newline framing: one JSON message per line, `\n` or `\r\n` terminated, as jayson's
 * TCP client and server frame them. JSON text never contains a raw newline (it is
 * always escaped inside strings), so the first `\n` ends the message.
 */
import { Code } from '../../rpc/errors.js';
import { FrameError, type Framer } from '../types.js';

const LF = 0x0a;
const CR = 0x0d;

// A byte below 0x20 other than JSON's whitespace (tab, LF, CR): never the start of JSON text.
function isControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x09 && byte !== LF && byte !== CR;
}

/**
 * createLineFramer returns a framer that yields each line without its terminator.
 * Blank lines are skipped. A line longer than `maxLineBytes` is refused as soon as
 * that many bytes are seen without a newline, before they are buffered.
 * A held line that starts with a control byte JSON text can never start with (a
 * msgpack length prefix starts with 0x00) is refused at once rather than waited on
 * for a newline that may never come.
 * @param errorReply builds the framed error sent before the connection closes, if any
 *   (called only when a line is too long or cannot be JSON).
 */
export function createLineFramer(
  maxLineBytes: number,
  errorReply?: (code: number, message: string) => Uint8Array,
): Framer {
  // The start of an unfinished line: chunks (views into what the socket gave us).
  let parts: Buffer[] = [];
  let pending = 0;

  const tooLong = (): FrameError => {
    const message = `jsonrpc: line longer than ${maxLineBytes} bytes`;
    return new FrameError(message, errorReply?.(Code.InvalidRequest, message));
  };
  const notJson = (byte: number): FrameError => {
    const message = `jsonrpc: a message cannot start with byte 0x${byte.toString(16).padStart(2, '0')} (is this a binary protocol on the JSON-RPC port?)`;
    return new FrameError(message, errorReply?.(Code.ParseError, message));
  };

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
      if (pending === 0 && isControl(chunk[start]!)) throw notJson(chunk[start]!);
      parts.push(start === 0 ? chunk : chunk.subarray(start));
      pending += rest;
    },
  };
}
