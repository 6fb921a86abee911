/**
 * The XML-RPC wire format: methodCall and methodResponse documents to and from
 * values. Pure: no sockets. Encoding builds strings (no DOM); decoding drives a
 * SAX parser (saxes) straight into values with an explicit stack, so a deep
 * document costs a counter check, never a deep JS stack.
 */
import { types } from 'node:util';
import { Code, RpcError } from '../../rpc/errors.js';
import type { Reply } from '../../rpc/message.js';
import {
  type BatchEntry,
  type ClientCodec,
  type ClientIncoming,
  type Incoming,
  type Limits,
  type OutgoingCall,
  Refused,
  type Sent,
  type ServerCodec,
} from '../types.js';
import { decodeCall, decodeResponse } from './decode.js';

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

// ---------------------------------------------------------------------------
// Messages: the codecs the shared session and HTTP client use.

/** PROTOCOL is the name XML-RPC calls carry in `Context.protocol`. */
export const PROTOCOL = 'xmlrpc';

/** CONTENT_TYPE is the media type of XML-RPC bodies. */
export const CONTENT_TYPE = 'text/xml';

/** MULTICALL is the name of the batch method (the de-facto spec, as Python serves it). */
export const MULTICALL = 'system.multicall';

/** A reply may nest this deep; a server we call is trusted more than a caller, not blindly. */
const MAX_REPLY_DEPTH = 512;

function refuse(id: number | null, code: number, message: string): Incoming {
  return { kind: 'reply', reply: { id, ok: false, error: new RpcError(code, message) } };
}

// system.multicall lives in the protocol, not the registry: list it as Python's server does.
function listMulticall(reply: Reply): Reply {
  if (!reply.ok || !Array.isArray(reply.result)) return reply;
  return { ...reply, result: [...reply.result, MULTICALL].sort() };
}

// One multicall entry: a call, or its fault in place. Entries run one after another,
// in order, as Python's server runs them: a batch may depend on its own side effects.
function multicallEntry(entry: unknown, id: number): BatchEntry {
  const fault = (message: string): Refused =>
    new Refused({ id, ok: false, error: new RpcError(Code.InvalidRequest, `xmlrpc: ${message}`) });
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return fault('a multicall entry must be a struct');
  const { methodName, params } = entry as { methodName?: unknown; params?: unknown };
  if (typeof methodName !== 'string') return fault('a multicall entry needs a methodName string');
  if (methodName === MULTICALL) return fault('system.multicall cannot be nested');
  if (params !== undefined && !Array.isArray(params)) return fault('multicall params must be an array');
  return { id, method: methodName, params: (params as unknown[] | undefined) ?? [] };
}

function decodeMulticall(params: readonly unknown[], limits: Limits): Incoming {
  const calls = params[0];
  if (params.length !== 1 || !Array.isArray(calls))
    return refuse(0, Code.InvalidParams, 'xmlrpc: system.multicall takes one array of calls');
  if (calls.length > limits.maxBatch)
    return refuse(0, Code.LimitExceeded, `xmlrpc: a multicall holds at most ${limits.maxBatch} calls`);
  return { kind: 'batch', entries: calls.map(multicallEntry), sequential: true };
}

function encodeOutcome(value: unknown): string {
  try {
    return encodeResult(value);
  } catch {
    // A result with no XML-RPC form (NaN, a cycle) is the service's bug, not the caller's.
    return encodeFault(Code.Internal, 'xmlrpc: the result cannot be carried by XML-RPC');
  }
}

/**
 * serverCodec is the server side: a methodCall body in, a methodResponse out. Every
 * outcome is a methodResponse: a result, or a fault whose faultCode and faultString
 * are the RpcError's code and message. `system.multicall` is a sequential batch.
 */
export const serverCodec = {
  decode(body: Uint8Array, limits: Limits): Incoming {
    let method: string;
    let params: unknown[];
    try {
      ({ method, params } = decodeCall(body, { maxDepth: limits.maxDepth }));
    } catch (err) {
      const e = RpcError.from(err);
      return { kind: 'reply', reply: { id: 0, ok: false, error: e } };
    }
    if (method === MULTICALL) return decodeMulticall(params, limits);
    const call = { id: 0, method, params };
    return method === 'system.listMethods'
      ? { kind: 'call', call, rewrite: listMulticall }
      : { kind: 'call', call };
  },
  encodeReply(reply: Reply): string {
    return reply.ok ? encodeOutcome(reply.result) : encodeFault(reply.error.code, reply.error.message);
  },
  encodeBatch(replies: readonly Reply[]): string {
    return encodeOutcome(
      replies.map((r) => (r.ok ? [r.result] : { faultCode: r.error.code, faultString: r.error.message })),
    );
  },
} satisfies ServerCodec<Uint8Array, string>;

function positional(call: OutgoingCall): readonly unknown[] {
  if (Array.isArray(call.params)) return call.params;
  throw new TypeError(`xmlrpc: ${call.method}: XML-RPC has positional parameters only; pass an array`);
}

function multicallResults(value: unknown, ids: readonly number[]): ClientIncoming {
  if (!Array.isArray(value) || value.length !== ids.length)
    return {
      kind: 'invalid',
      message: `xmlrpc: system.multicall returned ${Array.isArray(value) ? value.length : 'no'} results for ${ids.length} calls`,
    };
  const replies: Reply[] = [];
  for (let i = 0; i < ids.length; i++) {
    const r: unknown = value[i];
    const id = ids[i]!;
    const f = r as { faultCode?: unknown; faultString?: unknown } | null;
    if (Array.isArray(r) && r.length === 1) replies.push({ id, ok: true, result: r[0] });
    else if (typeof f === 'object' && f !== null && Number.isSafeInteger(f.faultCode)) {
      const text = typeof f.faultString === 'string' ? f.faultString : '';
      replies.push({ id, ok: false, error: new RpcError(f.faultCode as number, text) });
    } else
      return { kind: 'invalid', message: 'xmlrpc: a system.multicall result is neither [value] nor a fault' };
  }
  return { kind: 'batch', replies };
}

/**
 * clientCodec is the client side: calls (positional params only) and
 * `system.multicall` batches out, methodResponse bodies in. XML-RPC has no ids on the
 * wire: an answer belongs to the calls its exchange sent.
 */
export const clientCodec = {
  encodeCall: (_id: number, call: OutgoingCall) => encodeCall(call.method, positional(call)),
  encodeBatch: (_ids: readonly number[], calls: readonly OutgoingCall[]) =>
    encodeCall(MULTICALL, [calls.map((c) => ({ methodName: c.method, params: positional(c) }))]),
  decode(body: Uint8Array, sent?: Sent): ClientIncoming {
    const ids = sent?.ids ?? [0];
    let settled: ReturnType<typeof decodeResponse>;
    try {
      settled = decodeResponse(body, { maxDepth: MAX_REPLY_DEPTH });
    } catch (err) {
      return { kind: 'invalid', message: `xmlrpc: malformed reply: ${(err as Error).message}` };
    }
    const id = ids[0] ?? 0;
    if (!settled.ok) return { kind: 'reply', reply: { id, ok: false, error: settled.error } };
    if (sent?.batch === true) return multicallResults(settled.value, ids);
    return { kind: 'reply', reply: { id, ok: true, result: settled.value } };
  },
} satisfies ClientCodec<Uint8Array, string>;
