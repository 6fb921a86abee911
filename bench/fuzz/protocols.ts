/**
 * What the fuzzer needs to know about each protocol: valid seed messages, how a
 * message is framed on the wire (and how to break the framing), how replies are
 * split, and what a well-formed reply is. Seeds are written by our own encoders;
 * replies are checked with strict decoders (UTF-8 included).
 */
import { isUtf8 } from 'node:buffer';
import { requestText } from '../../src/transport/jsonrpc/codec.js';
import { decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { isWellFormedValue } from '../../src/transport/unicode.js';
import { decodeResponse, encodeCall } from '../../src/transport/xmlrpc/codec.js';
import { type Rng, randomBytes } from './mutate.js';

/** FuzzProtocol describes one protocol endpoint to the fuzzer. */
export interface FuzzProtocol {
  readonly name: 'msgpack' | 'jsonrpc' | 'jsonrpc-http' | 'xmlrpc';
  /** Which listener: the shared HTTP server or the protocol's own TCP port. */
  readonly port: 'http' | 'jsonrpc' | 'msgpack';
  readonly seeds: readonly Buffer[];
  /** nest wraps a message's params in `depth` levels of arrays. */
  nest(body: Buffer, depth: number): Buffer;
  /** frame puts one body on the wire with intact framing. */
  frame(body: Buffer): Buffer;
  /** rawFrame frames a body and then may break the framing itself. */
  rawFrame(rng: Rng, body: Buffer): Buffer;
  /** sync is a valid call whose answer is `expected(n)`, sent after a batch of inputs. */
  sync(n: number): Buffer;
  /** syncAnswer tells whether a reply is the answer to sync `n` (and right). */
  isSync(reply: Buffer, n: number): boolean;
  /** split cuts one reply off the bytes received so far. */
  split(held: Buffer): [Buffer, Buffer] | undefined;
  /** check returns why a reply is malformed, or undefined when it is well formed. */
  check(reply: Buffer): string | undefined;
}

const chatValue = {
  a: [1, 2.5, 'x', true, null, -7, 4_294_967_296],
  s: 'héllo 😀 漢字',
  nested: { deep: [[[]]] },
};
const binary = Buffer.from([0, 1, 2, 0xff]);

// ---------------------------------------------------------------------------
// msgpack

const mpBodies: unknown[] = [
  [0, 1, 'add', [3, 5]],
  [0, 2, 'hypotenuse', [3, 4]],
  [0, 3, 'credentials.lookup', ['Dalek']],
  [0, 4, 'echo', [{ ...chatValue, bin: binary, at: new Date(0), big: 2n ** 60n, neg: -(2n ** 60n) }]],
  [0, 5, 'chat.send', ['fuzz', 'hello', 'nick']],
  [0, 6, 'chat.history', ['fuzz', 0, 10]],
  [0, 7, 'chat.subscribe', ['fuzz-sub']],
  [0, 8, 'rpc.unsubscribe', [1]],
  [0, 9, 'system.listMethods', []],
  [0, 10, 'add', { a: 1, b: 2 }],
  [2, 'chat.send', ['fuzz', 'notified']],
  [1, 11, null, 1],
  [0, 12, 'echo', [[1.5, Number.NaN, -0, 1e300, 'x'.repeat(40)]]],
];

function mpSplit(held: Buffer): [Buffer, Buffer] | undefined {
  if (held.length < 4) return undefined;
  const n = held.readUInt32BE(0);
  return held.length < 4 + n ? undefined : [held.subarray(4, 4 + n), held.subarray(4 + n)];
}

function isErrorMap(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    Number.isSafeInteger((e as { code?: unknown }).code) &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

function mpCheck(frame: Buffer): string | undefined {
  let m: unknown;
  try {
    m = decodeValue(frame, 512);
  } catch (err) {
    return `undecodable: ${(err as Error).message}`;
  }
  if (!Array.isArray(m)) return 'not an array';
  if (m[0] === 1) {
    if (m.length !== 4) return 'response of wrong length';
    if (m[1] !== null && !(Number.isSafeInteger(m[1]) && (m[1] as number) >= 0)) return 'bad msgid';
    if (m[2] !== null && !isErrorMap(m[2])) return 'bad error map';
    if (m[2] !== null && m[3] !== null) return 'error and result';
    return undefined;
  }
  if (m[0] === 2 && m.length === 3 && (m[1] === 'rpc.event' || m[1] === 'rpc.end') && Array.isArray(m[2]))
    return undefined;
  return 'neither a response nor a push';
}

const msgpack: FuzzProtocol = {
  name: 'msgpack',
  port: 'msgpack',
  seeds: mpBodies.map((v) => encodeFrame(v).subarray(4)),
  nest(body, depth) {
    // [0, 99, "echo", [[[…body…]]]]: the params array, then `depth` one-element arrays.
    return Buffer.concat([
      Buffer.from([0x94, 0x00, 0x63, 0xa4]),
      Buffer.from('echo'),
      Buffer.alloc(depth + 1, 0x91),
      body,
    ]);
  },
  frame(body) {
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    return Buffer.concat([head, body]);
  },
  rawFrame(rng, body) {
    const framed = msgpack.frame(body);
    switch (rng.int(5)) {
      case 0: // a length claiming more than is sent (the frame never completes)
        framed.writeUInt32BE(body.length + 1 + rng.int(1000), 0);
        return framed;
      case 1: // a huge length (over the limit)
        framed.writeUInt32BE(rng.pick([0x00400001, 0x7fffffff, 0xffffffff]), 0);
        return framed;
      case 2: // a short length: the rest is read as the next frame
        framed.writeUInt32BE(rng.int(body.length + 1), 0);
        return framed;
      case 3: // cut anywhere, header included
        return framed.subarray(0, rng.int(framed.length));
      default: // garbage after a good frame
        return Buffer.concat([framed, randomBytes(rng, 1 + rng.int(16))]);
    }
  },
  sync: (n) => encodeFrame([0, 4_000_000_000 + n, 'add', [n, 1]]),
  isSync(reply, n) {
    try {
      const m = decodeValue(reply, 512) as unknown[];
      return m[0] === 1 && m[1] === 4_000_000_000 + n && m[3] === n + 1;
    } catch {
      return false;
    }
  },
  split: mpSplit,
  check: mpCheck,
};

// ---------------------------------------------------------------------------
// JSON-RPC

const jsonBodies: string[] = [
  requestText(1, { method: 'add', params: [3, 5] }),
  requestText(2, { method: 'hypotenuse', params: { a: 3, b: 4 } }),
  requestText(3, { method: 'credentials.lookup', params: ['Dalek'] }),
  requestText(4, { method: 'echo', params: [{ ...chatValue, bin: binary, at: new Date(0) }] }),
  requestText(5, { method: 'chat.send', params: ['fuzz', 'hello', 'nick'] }),
  requestText(6, { method: 'chat.history', params: ['fuzz', 0, 10] }),
  requestText(7, { method: 'chat.subscribe', params: ['fuzz-sub'] }),
  requestText(8, { method: 'rpc.unsubscribe', params: [1] }),
  requestText(undefined, { method: 'chat.send', params: ['fuzz', 'notified'] }),
  '{"jsonrpc":"2.0","id":"s-1","method":"system.listMethods"}',
  `[${requestText(9, { method: 'add', params: [1, 2] })},${requestText(undefined, { method: 'add', params: [1, 2] })}]`,
  '{"jsonrpc":"2.0","id":1e400,"method":"add","params":[2,3]}',
  '{"jsonrpc":"2.0","id":10,"method":"echo","params":["\\u00e9\\ud83d\\ude00 \\\\ud800"]}',
];

function isResponse(r: unknown): boolean {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return false;
  if ('method' in o) return (o.method === 'rpc.event' || o.method === 'rpc.end') && Array.isArray(o.params);
  if (!('id' in o) || !(o.id === null || typeof o.id === 'string' || Number.isFinite(o.id))) return false;
  return 'error' in o ? !('result' in o) && isErrorMap(o.error) : 'result' in o;
}

function jsonCheck(body: Buffer): string | undefined {
  if (!isUtf8(body)) return 'not UTF-8';
  let v: unknown;
  try {
    v = JSON.parse(body.toString());
  } catch {
    return 'not JSON';
  }
  if (!isWellFormedValue(v)) return 'lone surrogate';
  if (Array.isArray(v)) return v.length > 0 && v.every(isResponse) ? undefined : 'bad batch answer';
  return isResponse(v) ? undefined : 'not a response';
}

function jsonNest(body: Buffer, depth: number): Buffer {
  return Buffer.from(
    `{"jsonrpc":"2.0","id":77,"method":"echo","params":[${'['.repeat(depth)}${body}${']'.repeat(depth)}]}`,
  );
}

const lineSplit = (held: Buffer): [Buffer, Buffer] | undefined => {
  const nl = held.indexOf(0x0a);
  return nl === -1 ? undefined : [held.subarray(0, nl), held.subarray(nl + 1)];
};

const jsonrpc: FuzzProtocol = {
  name: 'jsonrpc',
  port: 'jsonrpc',
  seeds: jsonBodies.map((s) => Buffer.from(s)),
  nest: jsonNest,
  // Framing stays intact: a newline inside the body would cut it in two messages.
  frame: (body) => Buffer.concat([Buffer.from(body.map((b) => (b === 0x0a ? 0x20 : b))), Buffer.from('\n')]),
  rawFrame(rng, body) {
    const k = rng.int(10);
    if (k === 0) return Buffer.concat([body, Buffer.alloc(4 * 1024 * 1024 + 16, 0x20), Buffer.from('\n')]); // over the limit
    if (k < 5) return body; // no newline: a line that never ends
    // newlines anywhere
    return Buffer.concat([body.subarray(0, rng.int(body.length + 1)), Buffer.from('\r\n\n'), body]);
  },
  sync: (n) => Buffer.from(`{"jsonrpc":"2.0","id":"sync-${n}","method":"add","params":[${n},1]}\n`),
  isSync(reply, n) {
    if (!reply.includes(`"sync-${n}"`)) return false;
    try {
      const r = JSON.parse(reply.toString()) as { id?: unknown; result?: unknown };
      return r.id === `sync-${n}` && r.result === n + 1;
    } catch {
      return false;
    }
  },
  split: lineSplit,
  check: jsonCheck,
};

// ---------------------------------------------------------------------------
// HTTP: JSON-RPC over HTTP and XML-RPC

function httpRequest(path: string, type: string, body: Buffer): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: fuzz\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * httpSplit cuts one whole HTTP response off `held`: a Content-Length body, or a
 * chunked one (Node's own 400 for a request without Host is chunked and empty).
 */
function httpSplit(held: Buffer): [Buffer, Buffer] | undefined {
  const end = held.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = held.subarray(0, end).toString('latin1');
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    let at = end + 4;
    for (;;) {
      const eol = held.indexOf('\r\n', at);
      if (eol === -1) return undefined;
      const size = Number.parseInt(held.subarray(at, eol).toString('latin1'), 16);
      if (!Number.isFinite(size)) return [held, Buffer.alloc(0)]; // unreadable: hand it all to check()
      at = eol + 2 + size + 2;
      if (held.length < at) return undefined;
      if (size === 0) return [held.subarray(0, at), held.subarray(at)];
    }
  }
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const length = m === null ? 0 : Number(m[1]);
  const total = end + 4 + length;
  return held.length < total ? undefined : [held.subarray(0, total), held.subarray(total)];
}

function httpParts(reply: Buffer): { status: number; body: Buffer } | undefined {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply.subarray(0, 16).toString('latin1'));
  if (m === null) return undefined;
  return { status: Number(m[1]), body: reply.subarray(reply.indexOf('\r\n\r\n') + 4) };
}

function httpRaw(rng: Rng, request: Buffer): Buffer {
  switch (rng.int(4)) {
    case 0: // a Content-Length larger than the body (the body never completes)
      return Buffer.from(
        request.toString('latin1').replace(/Content-Length: \d+/, 'Content-Length: 99999'),
        'latin1',
      );
    case 1: // cut anywhere, headers included
      return request.subarray(0, rng.int(request.length));
    case 2: {
      // a mutated header block
      const at = rng.int(request.indexOf('\r\n\r\n') + 1);
      const copy = Buffer.from(request);
      copy[at] = rng.next() & 0xff;
      return copy;
    }
    default: // chunked with a bad chunk size
      return Buffer.from(
        `POST /RPC2 HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n${rng.pick(['zz', 'ffffffffffff', '-1', '5'])}\r\nabc\r\n0\r\n\r\n`,
      );
  }
}

const jsonHttp: FuzzProtocol = {
  ...jsonrpc,
  name: 'jsonrpc-http',
  port: 'http',
  frame: (body) => httpRequest('/jsonrpc', 'application/json', body),
  rawFrame: (rng, body) => httpRaw(rng, jsonHttp.frame(body)),
  sync: (n) =>
    httpRequest(
      '/jsonrpc',
      'application/json',
      Buffer.from(`{"jsonrpc":"2.0","id":"sync-${n}","method":"add","params":[${n},1]}`),
    ),
  isSync(reply, n) {
    const p = httpParts(reply);
    return p !== undefined && p.status === 200 && jsonrpc.isSync(p.body, n);
  },
  split: httpSplit,
  check(reply) {
    const p = httpParts(reply);
    if (p === undefined) return 'not an HTTP/1.1 response';
    if (p.status === 204) return p.body.length === 0 ? undefined : '204 with a body';
    if (p.status !== 200) return p.status >= 400 && p.status < 500 ? undefined : `status ${p.status}`;
    return jsonCheck(p.body.subarray(0, p.body.length - (p.body.at(-1) === 0x0a ? 1 : 0)));
  },
};

const xmlBodies: string[] = [
  encodeCall('add', [3, 5]),
  encodeCall('hypotenuse', [3, 4.5]),
  encodeCall('credentials.lookup', ['Time Lord']),
  encodeCall('echo', [{ ...chatValue, bin: binary, at: new Date(0), big: 2n ** 60n, nil: null }]),
  encodeCall('chat.send', ['fuzz', 'hello & <you>\r\n', 'nick']),
  encodeCall('chat.history', ['fuzz', 0, 10]),
  encodeCall('system.multicall', [
    [
      { methodName: 'add', params: [1, 2] },
      { methodName: 'nope', params: [] },
    ],
  ]),
  encodeCall('system.listMethods', []),
  encodeCall('chat.subscribe', ['fuzz-sub']),
  '<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value>untyped</value></param><param><value><ex:nil/></value></param></params></methodCall>',
];

const xmlrpc: FuzzProtocol = {
  name: 'xmlrpc',
  port: 'http',
  seeds: xmlBodies.map((s) => Buffer.from(s)),
  nest(body, depth) {
    const open = '<value><array><data>'.repeat(depth);
    const close = '</data></array></value>'.repeat(depth);
    const at = body.indexOf('<param>');
    if (at === -1) return body;
    return Buffer.concat([
      body.subarray(0, at + 7),
      Buffer.from(open),
      body.subarray(at + 7),
      Buffer.from(close),
    ]);
  },
  frame: (body) => httpRequest('/RPC2', 'text/xml', body),
  rawFrame: (rng, body) => httpRaw(rng, xmlrpc.frame(body)),
  sync: (n) => httpRequest('/RPC2', 'text/xml', Buffer.from(encodeCall('add', [n, 1]))),
  isSync(reply, n) {
    const p = httpParts(reply);
    if (p === undefined || p.status !== 200) return false;
    try {
      const r = decodeResponse(p.body);
      return r.ok && r.value === n + 1;
    } catch {
      return false;
    }
  },
  split: httpSplit,
  check(reply) {
    const p = httpParts(reply);
    if (p === undefined) return 'not an HTTP/1.1 response';
    if (p.status !== 200) return p.status >= 400 && p.status < 500 ? undefined : `status ${p.status}`;
    if (!isUtf8(p.body)) return 'not UTF-8';
    try {
      decodeResponse(p.body);
      return undefined;
    } catch (err) {
      return `bad methodResponse: ${(err as Error).message}`;
    }
  },
};

/** PROTOCOLS lists every protocol endpoint the fuzzer knows, in run order. */
export const PROTOCOLS: readonly FuzzProtocol[] = [msgpack, jsonrpc, jsonHttp, xmlrpc];
