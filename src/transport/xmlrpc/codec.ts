/**
 * The XML-RPC wire format: methodCall and methodResponse documents to and from
 * values. Pure: no sockets. Encoding builds strings (no DOM); decoding drives a
 * SAX parser (saxes) straight into values with an explicit stack, so a deep
 * document costs a counter check, never a deep JS stack.
 */
import { types } from 'node:util';
import { Code } from '../../rpc/errors.js';

// ---------------------------------------------------------------------------
// Encoding

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Values nested deeper than this are refused on encode: almost surely a cycle. */
const MAX_ENCODE_DEPTH = 1000;

// The characters XML 1.0 cannot carry at all, even as references (kept as regex
// source text: they are what we look for).
const UNCARRIABLE = String.raw`\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff`;
const SPECIAL = new RegExp(`[&<>\\r${UNCARRIABLE}]`);
const SPECIAL_ALL = new RegExp(`[&<>\\r${UNCARRIABLE}]`, 'g');
const UNCARRIABLE_ALL = new RegExp(`[${UNCARRIABLE}]`, 'g');

function escapeChar(ch: string): string {
  switch (ch) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '\r':
      return '&#13;'; // a raw CR would be normalised to LF by every XML parser
    default:
      throw new TypeError(
        `xmlrpc: U+${ch.charCodeAt(0).toString(16).padStart(4, '0')} cannot be carried by XML 1.0`,
      );
  }
}

/** escapeText makes a string safe as XML character data. @internal */
export function escapeText(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, escapeChar) : s;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** formatDate renders a Date as `YYYYMMDDTHH:MM:SS` in UTC (milliseconds dropped). @internal */
export function formatDate(d: Date): string {
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999))
    throw new TypeError('xmlrpc: a dateTime needs a valid date with a 4-digit year');
  return `${String(y).padStart(4, '0')}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}T${pad2(
    d.getUTCHours(),
  )}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function encodeNumber(n: number): string {
  if (Number.isInteger(n)) {
    if (n >= INT32_MIN && n <= INT32_MAX) return `<value><int>${n}</int></value>`;
    if (Number.isSafeInteger(n)) return `<value><i8>${n}</i8></value>`;
  }
  if (!Number.isFinite(n)) throw new TypeError(`xmlrpc: ${n} has no XML-RPC form (double must be finite)`);
  return `<value><double>${n}</double></value>`;
}

function encodeBigInt(n: bigint): string {
  if (n < INT64_MIN || n > INT64_MAX) throw new TypeError('xmlrpc: bigint outside the i8 (64-bit) range');
  return `<value><i8>${n}</i8></value>`;
}

function encodeBytes(b: Uint8Array): string {
  return `<value><base64>${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')}</base64></value>`;
}

/**
 * encodeValue renders one value as a `<value>` element. See docs/xmlrpc.md for
 * the type mapping.
 * @throws TypeError when the value (or anything in it) has no XML-RPC form: NaN or
 *   Infinity, a bigint outside 64 bits, a function or symbol, a string holding a
 *   character XML 1.0 cannot carry, or nesting deeper than 1000 (a cycle).
 */
export function encodeValue(v: unknown, depth = 0): string {
  switch (typeof v) {
    case 'string':
      return `<value><string>${escapeText(v)}</string></value>`;
    case 'number':
      return encodeNumber(v);
    case 'boolean':
      return v ? '<value><boolean>1</boolean></value>' : '<value><boolean>0</boolean></value>';
    case 'bigint':
      return encodeBigInt(v);
    case 'undefined':
      return '<value><nil/></value>';
    case 'object': {
      if (v === null) return '<value><nil/></value>';
      if (depth >= MAX_ENCODE_DEPTH) throw new TypeError('xmlrpc: value nested too deeply (a cycle?)');
      if (Array.isArray(v)) {
        let s = '<value><array><data>';
        for (let i = 0; i < v.length; i++) s += encodeValue(v[i], depth + 1);
        return `${s}</data></array></value>`;
      }
      // Dates and binary data are recognised from any realm (a `vm` context: the REPL),
      // where `instanceof` fails; a plain object of this realm skips the checks.
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        if (types.isDate(v))
          return `<value><dateTime.iso8601>${formatDate(v as Date)}</dateTime.iso8601></value>`;
        if (ArrayBuffer.isView(v)) return encodeBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
        if (types.isAnyArrayBuffer(v)) return encodeBytes(new Uint8Array(v));
      }
      let s = '<value><struct>';
      const o = v as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        const item = o[key];
        if (item === undefined) continue; // as JSON does: an absent member
        s += `<member><name>${escapeText(key)}</name>${encodeValue(item, depth + 1)}</member>`;
      }
      return `${s}</struct></value>`;
    }
    default:
      throw new TypeError(`xmlrpc: a ${typeof v} has no XML-RPC form`);
  }
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * encodeCall renders a methodCall document.
 * @throws TypeError as {@link encodeValue} does, or when the method name is empty.
 */
export function encodeCall(method: string, params: readonly unknown[]): string {
  if (method === '') throw new TypeError('xmlrpc: empty method name');
  let s = `${HEAD}<methodCall><methodName>${escapeText(method)}</methodName><params>`;
  for (let i = 0; i < params.length; i++) s += `<param>${encodeValue(params[i])}</param>`;
  return `${s}</params></methodCall>`;
}

/**
 * encodeResult renders a methodResponse carrying one value.
 * @throws TypeError as {@link encodeValue} does.
 */
export function encodeResult(value: unknown): string {
  return `${HEAD}<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>`;
}

/** encodeFault renders a methodResponse carrying a fault with the error's code and message. */
export function encodeFault(code: number, message: string): string {
  const text = message.replace(UNCARRIABLE_ALL, '\ufffd');
  return `${HEAD}<methodResponse><fault><value><struct><member><name>faultCode</name>${encodeNumber(
    Number.isSafeInteger(code) ? code : Code.Internal,
  )}</member><member><name>faultString</name><value><string>${escapeText(
    text,
  )}</string></value></member></struct></value></fault></methodResponse>`;
}

// ---------------------------------------------------------------------------
// Decoding lives in decode.ts (the SAX state machine); re-exported here so the
// codec is one import.

export { type DecodedCall, type DecodeOptions, decodeCall, decodeResponse } from './decode.js';
