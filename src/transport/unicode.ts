/**
 * The one Unicode rule every codec applies (docs/reliability.md, "Text"):
 *
 * - **In**: text that is not valid Unicode is refused with -32700 (ParseError) on every
 *   protocol: bytes that are not UTF-8, and JSON escapes or XML references naming a
 *   lone surrogate. The error carries the request's id when the message could be read.
 * - **Out**: nothing is ever written as ill-formed UTF-8. A lone surrogate that a
 *   handler produces is sent as U+FFFD, the rule of `TextEncoder` and `Buffer.from`.
 *
 * Pure helpers; no sockets.
 * @internal
 */
import { isUtf8 } from 'node:buffer';

// ES2024 members, present since Node 20 but not in the ES2023 library this project targets.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/**
 * isWellFormedValue tells whether every string in a decoded JSON value (and every key)
 * is well-formed UTF-16, i.e. holds no lone surrogate. Iterative: a value nested a
 * million deep (V8's JSON.parse does not recurse) is walked without a deep stack.
 */
export function isWellFormedValue(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return false;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      for (const k in v) {
        if (!k.isWellFormed()) return false;
        stack.push((v as Record<string, unknown>)[k]);
      }
    }
  }
  return true;
}

// A JSON escape of a surrogate, upper or lower case (`\uD800`, `\udc00`).
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * mayHoldSurrogateEscape is the cheap pre-check for JSON text: only text holding a
 * `\uD8xx`–`\uDFxx` escape can decode to a lone surrogate (strict UTF-8 decoding has
 * already refused encoded ones), so only such text needs {@link isWellFormedValue}.
 */
export function mayHoldSurrogateEscape(text: string): boolean {
  return text.includes('\\u') && SURROGATE_ESCAPE.test(text);
}

// JSON.stringify writes a lone surrogate as a lower-case escape and never escapes a
// valid pair; an escape is real only after an even run of backslashes (`\\ud800` is a
// backslash followed by the letters "ud800").
const LONE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

/**
 * wellFormedJson replaces each lone-surrogate escape in text written by
 * `JSON.stringify` with U+FFFD, so no strict peer ever reads a lone surrogate.
 */
export function wellFormedJson(text: string): string {
  return text.includes('\\ud') ? text.replace(LONE_ESCAPE, '$1\ufffd') : text;
}

/**
 * isUtf8Range tells whether `b[at, at + length)` is valid UTF-8 (no surrogates, no
 * overlongs, nothing above U+10FFFF). Strings up to 64 bytes, most of a call's, are
 * checked inline (a subarray and a call into Node cost more than the check); longer
 * ones go to Node's SIMD validator.
 */
export function isUtf8Range(b: Uint8Array, at: number, length: number): boolean {
  const end = at + length;
  if (length > 64) return isUtf8(b.subarray(at, end));
  let i = at;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2 || c > 0xf4) return false;
    if (c < 0xe0) {
      if (i + 1 >= end || (b[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
      continue;
    }
    const c1 = b[i + 1]!;
    if (c < 0xf0) {
      if (i + 2 >= end || (c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80) return false;
      if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return false; // overlong, surrogate
      i += 3;
      continue;
    }
    if (i + 3 >= end || (c1 & 0xc0) !== 0x80 || (b[i + 2]! & 0xc0) !== 0x80 || (b[i + 3]! & 0xc0) !== 0x80)
      return false;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return false; // overlong, beyond U+10FFFF
    i += 4;
  }
  return true;
}

/**
 * replaceEncodedSurrogates rewrites, in place, each 3-byte UTF-8 form of a surrogate
 * (`ED A0..BF xx`, which some encoders write for a lone surrogate) in `b[at, at + length)`
 * as U+FFFD (`EF BF BD`, also 3 bytes). Returns whether anything changed.
 */
export function replaceEncodedSurrogates(b: Uint8Array, at: number, length: number): boolean {
  const end = at + length;
  let changed = false;
  // 0xED is never a continuation byte, so each one found leads a 3-byte sequence.
  for (let i = b.indexOf(0xed, at); i !== -1 && i + 2 < end; i = b.indexOf(0xed, i + 3)) {
    if (b[i + 1]! < 0xa0 || b[i + 1]! > 0xbf) continue;
    b[i] = 0xef;
    b[i + 1] = 0xbf;
    b[i + 2] = 0xbd;
    changed = true;
  }
  return changed;
}
