/**
 * XML-RPC scalar values: the text of `<int>`, `<double>`, `<boolean>`,
 * `<dateTime.iso8601>`, `<base64>`, `<string>` and `<nil/>` to JS values, leniently
 * where peers differ (date forms, `true`/`false`, whitespace) and strictly where a
 * wrong value would be silent (an integer beyond 64 bits, a NaN double).
 * @internal
 */
import { Code, RpcError } from '../../rpc/errors.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d{1,20}$/;
const DOUBLE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATE =
  /^(\d{4})-?(\d{2})-?(\d{2})[Tt ](\d{2}):?(\d{2}):?(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** quote renders a value's text for an error message, cut at 40 characters. */
export const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
/** invalid is a -32600 error: the document is not the XML-RPC shape expected. */
export const invalid = (message: string): RpcError => new RpcError(Code.InvalidRequest, `xmlrpc: ${message}`);
const badValue = (message: string): RpcError => new RpcError(Code.InvalidParams, `xmlrpc: ${message}`);

function parseInteger(text: string): number | bigint {
  const t = text.trim();
  if (!INTEGER.test(t)) throw badValue(`not an integer: ${quote(t)}`);
  const n = Number(t);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(t);
  if (b < INT64_MIN || b > INT64_MAX) throw badValue(`integer outside 64 bits: ${quote(t)}`);
  return b;
}

function parseDouble(text: string): number {
  const t = text.trim();
  const n = DOUBLE.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n)) throw badValue(`not a finite double: ${quote(t)}`);
  return n;
}

function parseBoolean(text: string): boolean {
  const t = text.trim();
  if (t === '1' || t === 'true') return true;
  if (t === '0' || t === 'false') return false;
  throw badValue(`not a boolean: ${quote(t)}`);
}

/** parseDate reads `YYYYMMDDTHH:MM:SS` and the ISO 8601 variants (dashes, fraction, zone). No zone means UTC. @internal */
export function parseDate(text: string): Date {
  const t = text.trim();
  const m = DATE.exec(t);
  if (m === null) throw badValue(`not a dateTime.iso8601: ${quote(t)}`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  at.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || at.getUTCHours() !== h || mi > 59 || s > 60)
    throw badValue(`not a valid date: ${quote(t)}`);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    at.setTime(at.getTime() - sign * offset * 60_000);
  }
  return at;
}

function parseBase64(text: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (!BASE64.test(t) || t.length % 4 === 1) throw badValue('not valid base64');
  const b = Buffer.from(t, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The value types that hold text, each decoded by {@link scalar}. */
export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  'string',
  'int',
  'i4',
  'i8',
  'i1',
  'i2',
  'boolean',
  'double',
  'dateTime.iso8601',
  'base64',
  'nil',
]);

/**
 * scalar decodes the text of a scalar value element named `name` (one of {@link SCALAR_TYPES}).
 * @throws RpcError -32602 when the text is not a value of that type.
 */
export function scalar(name: string, text: string): unknown {
  switch (name) {
    case 'string':
      return text; // copied by the decoder when the document is large (own())
    case 'int':
    case 'i4':
    case 'i8':
    case 'i1':
    case 'i2':
      return parseInteger(text);
    case 'boolean':
      return parseBoolean(text);
    case 'double':
      return parseDouble(text);
    case 'dateTime.iso8601':
      return parseDate(text);
    case 'base64':
      return parseBase64(text);
    default: // nil
      if (text.trim() !== '') throw badValue('<nil/> must be empty');
      return null;
  }
}
