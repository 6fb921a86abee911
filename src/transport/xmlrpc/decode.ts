/**
 * Decoding XML-RPC documents: a saxes SAX parser feeding a small state machine that
 * builds values directly, with an explicit stack of open arrays and structs.
 *
 * Why it is safe on hostile input: a DOCTYPE is refused as soon as the parser reports
 * it (so no entity is ever declared, and a "billion laughs" costs nothing); saxes
 * knows only the five XML entities and numeric character references; every element
 * is checked against its parent as it opens, so unexpected markup fails at once; and
 * array/struct nesting is a counter compared with `maxDepth`, never recursion.
 */
import { isUtf8 } from 'node:buffer';
import { SaxesParser } from 'saxes';
import { Code, RpcError } from '../../rpc/errors.js';
import type { Settled } from '../types.js';
import { invalid, quote, SCALAR_TYPES, scalar } from './scalars.js';

export { parseDate } from './scalars.js';

/** DecodedCall is a decoded methodCall: the method name and its positional params. */
export interface DecodedCall {
  readonly method: string;
  readonly params: unknown[];
}

/** DecodeOptions bound what one document may hold. */
export interface DecodeOptions {
  /** Deepest nesting of arrays and structs. Defaults to 64. */
  readonly maxDepth?: number;
}

const UNSET: unique symbol = Symbol('xmlrpc.unset');

interface StructFrame {
  readonly obj: Record<string, unknown>;
  name: string | undefined;
  value: unknown;
}
type Frame = unknown[] | StructFrame;

// A member named __proto__ must become an own data property, never the prototype.
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function localName(name: string): string {
  const i = name.indexOf(':'); // ex:nil, ex:i8 (Apache's extension namespace)
  return i < 0 ? name : name.slice(i + 1);
}

/** Decoder is one reusable parse state. Decoding is synchronous, so one instance serves every call. */
class Decoder {
  private parser: SaxesParser;
  private response = false;
  private maxDepth = 64;
  private tags: string[] = [];
  private text = '';
  private current: unknown = UNSET;
  private frames: Frame[] = [];
  params: unknown[] = [];
  private paramStart = 0;
  methodName: string | undefined;
  fault: unknown = UNSET;
  private sawParams = false;
  private large = false;

  constructor() {
    this.parser = this.createParser();
  }

  private createParser(): SaxesParser {
    const p = new SaxesParser({ position: false });
    p.on('opentag', (tag) => this.open(tag.name));
    p.on('closetag', (tag) => this.close(tag.name));
    p.on('text', (t) => {
      this.text += t;
    });
    p.on('cdata', (t) => {
      this.text += t;
    });
    p.on('doctype', () => {
      throw invalid('a DOCTYPE is not allowed');
    });
    return p;
  }

  /**
   * own returns a string value that shares no memory with the document. saxes hands
   * out text as slices of the document (V8 slices substrings of 13 characters or more),
   * so a short string a service keeps would keep a document of up to 4 MiB alive.
   * Documents up to 1 KiB skip the copy: there the slice holds little.
   */
  private own(text: string): string {
    return this.large && text.length >= 13 ? `${text} `.slice(0, -1) : text;
  }

  run(xml: string, response: boolean, maxDepth: number): void {
    this.large = xml.length > 1024;
    this.response = response;
    this.maxDepth = maxDepth;
    this.tags = [];
    this.text = '';
    this.current = UNSET;
    this.frames = [];
    this.params = [];
    this.methodName = undefined;
    this.fault = UNSET;
    this.sawParams = false;
    try {
      this.parser.write(xml).close();
    } catch (err) {
      this.parser = this.createParser(); // a failed parser is mid-document; start clean
      this.frames = [];
      this.params = [];
      this.text = '';
      if (err instanceof RpcError) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      throw new RpcError(Code.ParseError, `xmlrpc: not well-formed XML: ${detail.slice(0, 200)}`);
    }
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private unexpected(name: string, parent: string): RpcError {
    if (parent === 'value') return invalid(`unknown value type <${name}>`);
    return invalid(parent === '' ? `unexpected root <${name}>` : `unexpected <${name}> in <${parent}>`);
  }

  private valueChild(name: string, parent: string): void {
    if (parent !== 'value') throw this.unexpected(name, parent);
    if (this.current !== UNSET) throw invalid('a <value> holds one item');
  }

  private open(raw: string): void {
    const name = localName(raw);
    const parent = this.tags.length === 0 ? '' : this.tags[this.tags.length - 1]!;
    this.tags.push(name);
    this.text = '';
    if (SCALAR_TYPES.has(name)) {
      this.valueChild(name, parent);
      return;
    }
    switch (name) {
      case 'value':
        if (parent === 'param') {
          if (this.params.length !== this.paramStart) throw invalid('a <param> holds one value');
        } else if (parent === 'member') {
          if ((this.top() as StructFrame).value !== UNSET) throw invalid('a <member> holds one value');
        } else if (parent === 'fault') {
          if (this.fault !== UNSET) throw invalid('a <fault> holds one value');
        } else if (parent !== 'data') throw this.unexpected(name, parent);
        this.current = UNSET;
        return;
      case 'array':
      case 'struct':
        this.valueChild(name, parent);
        if (this.frames.length >= this.maxDepth)
          throw new RpcError(Code.LimitExceeded, `xmlrpc: values nested deeper than ${this.maxDepth}`);
        this.frames.push(name === 'array' ? [] : { obj: {}, name: undefined, value: UNSET });
        return;
      case 'data':
        if (parent !== 'array') throw this.unexpected(name, parent);
        return;
      case 'member':
      case 'name':
        if (parent !== (name === 'member' ? 'struct' : 'member')) throw this.unexpected(name, parent);
        return;
      case 'param':
        if (parent !== 'params') throw this.unexpected(name, parent);
        this.paramStart = this.params.length;
        return;
      case 'params':
        if (parent !== (this.response ? 'methodResponse' : 'methodCall') || this.sawParams)
          throw this.unexpected(name, parent);
        this.sawParams = true;
        return;
      case 'methodName':
        if (parent !== 'methodCall' || this.methodName !== undefined) throw this.unexpected(name, parent);
        return;
      case 'fault':
        if (parent !== 'methodResponse' || this.sawParams) throw this.unexpected(name, parent);
        this.sawParams = true;
        return;
      case 'methodCall':
      case 'methodResponse':
        if (parent !== '' || (name === 'methodResponse') !== this.response) {
          throw invalid(this.response ? 'not a methodResponse' : 'not a methodCall');
        }
        return;
      default:
        throw this.unexpected(raw, parent);
    }
  }

  private close(raw: string): void {
    const name = localName(raw);
    this.tags.pop();
    if (SCALAR_TYPES.has(name)) {
      this.current = name === 'string' ? this.own(this.text) : scalar(name, this.text);
      return;
    }
    switch (name) {
      case 'value': {
        const v = this.current === UNSET ? this.own(this.text) : this.current; // untyped <value> is a string
        this.current = UNSET;
        const parent = this.tags[this.tags.length - 1];
        if (parent === 'data') (this.top() as unknown[]).push(v);
        else if (parent === 'member') (this.top() as StructFrame).value = v;
        else if (parent === 'param') this.params.push(v);
        else this.fault = v;
        return;
      }
      case 'array':
        this.current = this.frames.pop();
        return;
      case 'struct':
        this.current = (this.frames.pop() as StructFrame).obj;
        return;
      case 'member': {
        const f = this.top() as StructFrame;
        if (f.name === undefined || f.value === UNSET)
          throw invalid('a <member> needs a <name> and a <value>');
        setMember(f.obj, f.name, f.value);
        f.name = undefined;
        f.value = UNSET;
        return;
      }
      case 'name': {
        const f = this.top() as StructFrame;
        if (f.name !== undefined) throw invalid('a <member> has one <name>');
        f.name = this.text;
        return;
      }
      case 'param':
        if (this.params.length !== this.paramStart + 1) throw invalid('a <param> needs a <value>');
        return;
      case 'methodName':
        this.methodName = this.text.trim();
        return;
      case 'fault':
        if (this.fault === UNSET) throw invalid('a <fault> needs a <value>');
        return;
      default:
        return;
    }
  }
}

const decoder = new Decoder();

// Bytes to text: UTF-8 unless the XML declaration names Latin-1; a BOM is dropped.
// UTF-8 is decoded strictly: a body that is not valid UTF-8 is -32700, as on every
// protocol, never text with U+FFFD in place of the bad bytes.
function toText(body: Uint8Array | string): string {
  if (typeof body === 'string') return body;
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  if (buf[start] === 0x3c && buf[start + 1] === 0x3f) {
    const head = buf.toString('latin1', start, Math.min(buf.length, start + 100));
    const m = /^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
    const enc = m?.[1]?.toLowerCase();
    if (enc === 'iso-8859-1' || enc === 'latin1' || enc === 'latin-1') return buf.toString('latin1', start);
    if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii' && enc !== 'ascii')
      throw new RpcError(Code.ParseError, `xmlrpc: unsupported encoding ${quote(enc)}`);
  }
  if (!isUtf8(buf)) throw new RpcError(Code.ParseError, 'xmlrpc: the body is not valid UTF-8');
  return buf.toString('utf8', start);
}

/**
 * decodeCall reads a methodCall document.
 * @throws RpcError with {@link Code.ParseError} when the body is not well-formed XML
 *   (an empty body included), is not valid UTF-8, or has an unsupported encoding; {@link Code.InvalidRequest}
 *   when it is well-formed but not a methodCall (a DOCTYPE, an unknown element or
 *   value type, a missing methodName); {@link Code.InvalidParams} when a value cannot
 *   be decoded (an `<int>` that is not a number, a NaN double, an i8 beyond 64 bits);
 *   {@link Code.LimitExceeded} when arrays and structs nest deeper than `maxDepth`.
 */
export function decodeCall(body: Uint8Array | string, options: DecodeOptions = {}): DecodedCall {
  decoder.run(toText(body), false, options.maxDepth ?? 64);
  const method = decoder.methodName;
  if (method === undefined || method === '') throw invalid('a methodCall needs a <methodName>');
  return { method, params: decoder.params };
}

/**
 * decodeResponse reads a methodResponse document: the one result value, or the
 * fault as an RpcError with the fault's code and string.
 * @throws RpcError as {@link decodeCall} does, and {@link Code.InvalidRequest} when
 *   the response holds no value, several, or a fault without an integer faultCode
 *   and a string faultString.
 */
export function decodeResponse(body: Uint8Array | string, options: DecodeOptions = {}): Settled {
  decoder.run(toText(body), true, options.maxDepth ?? 64);
  const fault = decoder.fault;
  if (fault !== UNSET) {
    const f = fault as { faultCode?: unknown; faultString?: unknown } | null;
    if (typeof f !== 'object' || f === null || !Number.isSafeInteger(f.faultCode))
      throw invalid('a fault needs an integer faultCode');
    const text = typeof f.faultString === 'string' ? f.faultString : '';
    return { ok: false, error: new RpcError(f.faultCode as number, text) };
  }
  const params = decoder.params;
  if (params.length !== 1) throw invalid(`a methodResponse holds one value, not ${params.length}`);
  return { ok: true, value: params[0] };
}
