/**
 * Reading a JSON-RPC request's id without decoding the request: a draining server
 * answers the calls it will not run (-32003) from the id alone, so a backlog of large
 * requests costs a byte scan each instead of a UTF-8 decode and a parse.
 *
 * Exports: peekRequestId.
 * @internal
 */
import type { Id } from '../../rpc/message.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * peekRequestId returns the `id` of the request object in `bytes` (a number, a string
 * or null), or undefined when it has none (a notification) or is not a plain request
 * object (a batch, bad JSON): the caller then decodes it in full. Never throws.
 */
export function peekRequestId(bytes: Uint8Array): Id | undefined {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return undefined; // '{'
  i = skipSpace(b, i + 1);
  while (i < b.length && b[i] === QUOTE) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return undefined;
    const isId = keyEnd - i === 4 && b[i + 1] === 0x69 && b[i + 2] === 0x64; // "id"
    i = skipSpace(b, keyEnd);
    if (b[i] !== 0x3a) return undefined; // ':'
    i = skipSpace(b, i + 1);
    const end = valueEnd(b, i);
    if (end < 0) return undefined;
    if (isId) return idValue(b.toString('utf8', i, end));
    i = skipSpace(b, end);
    if (b[i] !== 0x2c) return undefined; // ',' (a '}' here: no id)
    i = skipSpace(b, i + 1);
  }
  return undefined;
}

function idValue(text: string): Id | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'number' || typeof v === 'string' || v === null ? v : undefined;
  } catch {
    return undefined;
  }
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return i;
}

// The index just past the string that opens at `i`, or -1.
function stringEnd(b: Buffer, i: number): number {
  let at = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, at);
    if (q < 0) return -1;
    let slashes = 0;
    while (b[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    at = q + 1;
  }
}

// The index just past the value that starts at `i`, or -1.
function valueEnd(b: Buffer, i: number): number {
  let depth = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c === QUOTE) {
      i = stringEnd(b, i);
      if (i < 0) return -1;
      if (depth === 0) return i;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i; // the end of the enclosing object
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && c === 0x2c) return i;
    i++;
  }
  return -1;
}
