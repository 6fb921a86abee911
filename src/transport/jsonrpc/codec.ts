/**
 * The JSON-RPC 2.0 wire format, both sides. Pure: strings and buffers in and out,
 * no sockets. One message per line on TCP (the framer strips the newline); the same
 * decode serves HTTP bodies.
 *
 * Type mapping: JSON has no dates or bytes, so a `Date` is sent as its ISO 8601
 * string and a `Uint8Array` as a base64 string; a `bigint` is sent as a number when
 * it is a safe integer and as a decimal string otherwise. Nothing is revived on
 * decode: the receiver's schema decides what a string means. Binary data and dates
 * are recognised from any realm (a `vm` context, the REPL), not by `instanceof`.
 *
 * Text: a lone surrogate written as an escape (`"\ud800"`) is refused like invalid
 * UTF-8 (-32700), and one produced by a handler goes out as U+FFFD (see ../unicode.ts).
 */
import { Code, isRpcErrorShape, RpcError } from '../../rpc/errors.js';
import {
  type Call,
  goAwayFrom,
  type Id,
  PushMethod,
  type Reply,
  type ServerPush,
} from '../../rpc/message.js';
import {
  type BatchEntry,
  type ClientCodec,
  type ClientIncoming,
  type Framer,
  type Incoming,
  type Limits,
  type OutgoingCall,
  Refused,
  type ServerCodec,
  type StreamClientCodec,
  type StreamServerCodec,
} from '../types.js';
import { isWellFormedValue, mayHoldSurrogateEscape, wellFormedJson } from '../unicode.js';
import { stringify, tooDeep } from './values.js';

export { stringify } from './values.js';

import { createLineFramer } from './framing.js';
import { peekRequestId } from './peek.js';

/** PROTOCOL is the name JSON-RPC calls carry in `Context.protocol`. */
export const PROTOCOL = 'jsonrpc';

/** DEFAULT_PORT is the TCP port JSON-RPC is served on and called at when none is given. */
export const DEFAULT_PORT = 8001;

/** HTTP_PATH is where JSON-RPC is served on the shared HTTP server. */
export const HTTP_PATH = '/jsonrpc';

/** CONTENT_TYPE is the media type of JSON-RPC over HTTP. */
export const CONTENT_TYPE = 'application/json';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const ILL_FORMED = 'jsonrpc: a string holds a lone surrogate (not valid Unicode)';

/**
 * decodeText decodes a frame as strict UTF-8.
 * @throws RpcError -32700 for invalid UTF-8.
 */
function decodeText(frame: Uint8Array): string {
  try {
    return utf8.decode(frame);
  } catch {
    throw new RpcError(Code.ParseError, 'jsonrpc: message is not valid UTF-8');
  }
}

/**
 * parseJson parses JSON text.
 * @throws RpcError -32700 for invalid JSON.
 */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RpcError(Code.ParseError, 'jsonrpc: parse error: invalid JSON');
  }
}

// ---------------------------------------------------------------------------
// Server side

function isId(id: unknown): id is Id {
  return typeof id === 'string' || typeof id === 'number' || id === null;
}

/**
 * isRequestId accepts the ids a server can echo exactly as written: a string, null, or
 * a number that survives the trip through a double. `1e400` parses to Infinity and
 * 9007199254740993 to 9007199254740992; echoed, neither would match the caller's id,
 * so an integer id must be within ±(2^53 − 1) and any numeric id finite.
 */
function isRequestId(id: unknown): id is Id {
  if (typeof id !== 'number') return typeof id === 'string' || id === null;
  return Number.isInteger(id) ? Number.isSafeInteger(id) : Number.isFinite(id);
}

function invalid(id: Id, message: string, code: number = Code.InvalidRequest): Reply {
  return { id, ok: false, error: new RpcError(code, message) };
}

/**
 * checkRequest validates one request object. It returns the object itself (it is a
 * {@link Call} already: no copy, so a `__proto__` key in params stays plain data) or
 * the error reply it deserves. An invalid object is answered even without an id,
 * because nothing tells it apart from a request (the spec's own example).
 */
function checkRequest(value: unknown): Call | Reply {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid(null, 'jsonrpc: invalid request: not an object');
  const r = value as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  const id = r.id;
  if (id !== undefined && !isRequestId(id))
    return invalid(
      null,
      'jsonrpc: invalid request: id must be a string, null, or a finite number (integers within ±(2^53 − 1))',
    );
  const replyId = id === undefined ? null : id;
  if (r.jsonrpc !== '2.0') return invalid(replyId, 'jsonrpc: invalid request: "jsonrpc" must be "2.0"');
  if (typeof r.method !== 'string')
    return invalid(replyId, 'jsonrpc: invalid request: "method" must be a string');
  const p = r.params;
  if (p !== undefined && (typeof p !== 'object' || p === null))
    return invalid(replyId, 'jsonrpc: invalid request: "params" must be an array or an object');
  return value as Call;
}

function isReply(x: Call | Reply): x is Reply {
  return (x as { ok?: unknown }).ok !== undefined;
}

/**
 * decodeIncoming turns one line (or HTTP body) into what the server does with it.
 * Never throws. Errors answered here: -32700 (bad UTF-8 or JSON, or a lone surrogate
 * escape: with the request's id when it has a usable one, null for a batch), -32600
 * (not a request, or an empty batch) and -32000 (a batch larger than
 * `limits.maxBatch`, or nesting deeper than `limits.maxDepth`: limits, coded as on the
 * other protocols).
 */
export function decodeIncoming(frame: Uint8Array, limits: Limits): Incoming {
  let text: string;
  let value: unknown;
  try {
    text = decodeText(frame);
    value = parseJson(text);
  } catch (err) {
    return { kind: 'reply', reply: { id: null, ok: false, error: err as RpcError } };
  }
  // Nesting deeper than maxDepth needs at least 2 × maxDepth bytes.
  if (frame.length > 2 * limits.maxDepth && tooDeep(value, limits.maxDepth)) {
    const id = (value as { id?: unknown } | null)?.id;
    const replyId = isId(id) && !Array.isArray(value) ? id : null;
    return {
      kind: 'reply',
      reply: invalid(
        replyId,
        `jsonrpc: message nested deeper than ${limits.maxDepth} levels`,
        Code.LimitExceeded,
      ),
    };
  }
  // Only text with a surrogate escape can hold a lone surrogate (the UTF-8 decode is strict).
  if (mayHoldSurrogateEscape(text) && !isWellFormedValue(value)) {
    const id = Array.isArray(value) ? undefined : (value as { id?: unknown } | null)?.id;
    const replyId = isRequestId(id) && (typeof id !== 'string' || id.isWellFormed()) ? id : null;
    return { kind: 'reply', reply: invalid(replyId, ILL_FORMED, Code.ParseError) };
  }
  if (!Array.isArray(value)) {
    const checked = checkRequest(value);
    return isReply(checked) ? { kind: 'reply', reply: checked } : { kind: 'call', call: checked };
  }
  if (value.length === 0)
    return { kind: 'reply', reply: invalid(null, 'jsonrpc: invalid request: empty batch') };
  if (value.length > limits.maxBatch) {
    const message = `jsonrpc: batch of ${value.length} calls is over the limit of ${limits.maxBatch}`;
    return { kind: 'reply', reply: invalid(null, message, Code.LimitExceeded) };
  }
  // An entry that is not a valid request gets its -32600 in place in the batch answer.
  const entries = new Array<BatchEntry>(value.length);
  for (let i = 0; i < value.length; i++) {
    const checked = checkRequest(value[i]);
    entries[i] = isReply(checked) ? new Refused(checked) : checked;
  }
  return { kind: 'batch', entries };
}

function idText(id: Id): string {
  return typeof id === 'number' ? stringify(id) : JSON.stringify(id);
}

function errorText(error: RpcError): string {
  const head = `{"code":${error.code},"message":${wellFormedJson(JSON.stringify(error.message))}`;
  if (error.data === undefined) return `${head}}`;
  try {
    return `${head},"data":${stringify(error.data)}}`;
  } catch {
    return `${head}}`; // data that cannot be encoded is dropped, not the error
  }
}

/** replyText encodes one response object, without the newline. Never throws. @internal */
export function replyText(reply: Reply): string {
  const head = `{"jsonrpc":"2.0","id":${idText(reply.id)},`;
  if (!reply.ok) return `${head}"error":${errorText(reply.error)}}`;
  try {
    return `${head}"result":${stringify(reply.result)}}`;
  } catch {
    const error = new RpcError(Code.Internal, 'jsonrpc: result cannot be encoded as JSON');
    return `${head}"error":${errorText(error)}}`;
  }
}

/** batchText encodes a batch answer, without the newline. Never throws. @internal */
export function batchText(replies: readonly Reply[]): string {
  let out = '[';
  for (let i = 0; i < replies.length; i++) out += (i === 0 ? '' : ',') + replyText(replies[i]!);
  return `${out}]`;
}

/** pushText encodes a server notification for a subscription, without the newline. @internal */
export function pushText(push: ServerPush): string {
  if (push.kind === 'goaway')
    return `{"jsonrpc":"2.0","method":"${PushMethod.GoAway}","params":[${stringify(push.reason)},${push.deadlineMs}]}`;
  const sub = `${push.subscription}`;
  if (push.kind === 'event') {
    let event: string;
    try {
      event = stringify(push.event);
      if (push.eventId !== undefined) event += `,${stringify(push.eventId)}`;
    } catch {
      const error = new RpcError(Code.Internal, 'jsonrpc: event cannot be encoded as JSON');
      return `{"jsonrpc":"2.0","method":"${PushMethod.End}","params":[${sub},${errorText(error)}]}`;
    }
    return `{"jsonrpc":"2.0","method":"${PushMethod.Event}","params":[${sub},${event}]}`;
  }
  const tail = push.error === undefined ? '' : `,${errorText(push.error)}`;
  return `{"jsonrpc":"2.0","method":"${PushMethod.End}","params":[${sub}${tail}]}`;
}

const line = (text: string): Buffer => Buffer.from(`${text}\n`, 'utf8');

/** httpServerCodec is the server half of JSON-RPC over HTTP: one body, one answer. */
export const httpServerCodec = {
  decode: decodeIncoming,
  encodeReply: (reply) => `${replyText(reply)}\n`,
  encodeBatch: (replies) => `${batchText(replies)}\n`,
} satisfies ServerCodec<Uint8Array, string>;

/** serverCodec is the server half of JSON-RPC over newline-delimited TCP. */
export const serverCodec = {
  createFramer(limits: Limits): Framer {
    // The error reply is built only when needed: an RpcError per connection (a stack
    // trace each) was most of the cost of a connection-per-call client such as jayson's.
    return createLineFramer(limits.maxMessageBytes, (code, message) =>
      line(replyText(invalid(null, message, code))),
    );
  },
  decode: decodeIncoming,
  peekId: peekRequestId,
  encodeReply: (reply) => line(replyText(reply)),
  encodeBatch: (replies) => line(batchText(replies)),
  encodePush: (push) => line(pushText(push)),
} satisfies StreamServerCodec;

// ---------------------------------------------------------------------------
// Client side

/** requestText encodes one request (a notification when `id` is undefined), without the newline. @internal */
export function requestText(id: number | undefined, call: OutgoingCall): string {
  const head = id === undefined ? '{"jsonrpc":"2.0",' : `{"jsonrpc":"2.0","id":${id},`;
  const params = call.params === undefined ? '' : `,"params":${stringify(call.params)}`;
  return `${head}"method":${JSON.stringify(call.method)}${params}}`;
}

/**
 * toReply reads one response object.
 * @throws Error with a description when it is not a JSON-RPC 2.0 response.
 */
function toReply(value: unknown): Reply {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('response is not an object');
  const r = value as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
  if (!isId(r.id)) throw new Error('response has no valid id');
  if (r.error !== undefined && r.error !== null) {
    if (!isRpcErrorShape(r.error)) throw new Error('response error has no integer code and string message');
    return { id: r.id, ok: false, error: RpcError.fromShape(r.error) };
  }
  if (!('result' in r)) throw new Error('response has neither result nor error');
  return { id: r.id, ok: true, result: r.result };
}

/**
 * decodeClient turns one line (or HTTP body) from a server into what the client does
 * with it. Never throws: what it cannot use is `invalid`.
 */
export function decodeClient(frame: Uint8Array): ClientIncoming {
  let text: string;
  let value: unknown;
  try {
    text = decodeText(frame);
    value = parseJson(text);
  } catch (err) {
    return { kind: 'invalid', message: (err as Error).message };
  }
  if (mayHoldSurrogateEscape(text) && !isWellFormedValue(value)) {
    const id = Array.isArray(value) ? undefined : (value as { id?: unknown } | null)?.id;
    return typeof id === 'number'
      ? { kind: 'invalid', message: ILL_FORMED, id }
      : { kind: 'invalid', message: ILL_FORMED };
  }
  if (Array.isArray(value)) {
    const replies = new Array<Reply>(value.length);
    for (let i = 0; i < value.length; i++) {
      try {
        replies[i] = toReply(value[i]);
      } catch (err) {
        const id = (value[i] as { id?: unknown } | null)?.id;
        const message = `jsonrpc: bad batch response: ${(err as Error).message}`;
        return typeof id === 'number' ? { kind: 'invalid', message, id } : { kind: 'invalid', message };
      }
    }
    return { kind: 'batch', replies };
  }
  const method = (value as { method?: unknown } | null)?.method;
  if (typeof method === 'string') return decodePush(method, (value as { params?: unknown }).params);
  try {
    return { kind: 'reply', reply: toReply(value) };
  } catch (err) {
    const id = (value as { id?: unknown } | null)?.id;
    const message = `jsonrpc: bad response: ${(err as Error).message}`;
    return typeof id === 'number' ? { kind: 'invalid', message, id } : { kind: 'invalid', message };
  }
}

function decodePush(method: string, params: unknown): ClientIncoming {
  const goAway = method === PushMethod.GoAway ? goAwayFrom(params) : undefined;
  if (goAway !== undefined) return { kind: 'push', push: goAway };
  if (Array.isArray(params) && typeof params[0] === 'number') {
    const subscription = params[0];
    if (method === PushMethod.Event && params.length === 2)
      return { kind: 'push', push: { kind: 'event', subscription, event: params[1] } };
    if (method === PushMethod.Event && params.length === 3)
      return { kind: 'push', push: { kind: 'event', subscription, event: params[1], eventId: params[2] } };
    if (method === PushMethod.End && params.length === 1)
      return { kind: 'push', push: { kind: 'end', subscription } };
    if (method === PushMethod.End && params.length === 2 && isRpcErrorShape(params[1]))
      return { kind: 'push', push: { kind: 'end', subscription, error: RpcError.fromShape(params[1]) } };
  }
  return { kind: 'invalid', message: `jsonrpc: unexpected server notification ${JSON.stringify(method)}` };
}

function batchRequestText(ids: readonly number[], calls: readonly OutgoingCall[]): string {
  let out = '[';
  for (let i = 0; i < calls.length; i++) out += (i === 0 ? '' : ',') + requestText(ids[i]!, calls[i]!);
  return `${out}]`;
}

/** httpClientCodec is the client half of JSON-RPC over HTTP. */
export const httpClientCodec = {
  encodeCall: (id, call) => requestText(id, call),
  encodeNotify: (call) => requestText(undefined, call),
  encodeBatch: batchRequestText,
  decode: (body) => decodeClient(body),
} satisfies ClientCodec<Uint8Array, string>;

/** clientCodec is the client half of JSON-RPC over newline-delimited TCP. */
export const clientCodec = {
  createFramer: (maxMessageBytes) => createLineFramer(maxMessageBytes),
  encodeCall: (id, call) => line(requestText(id, call)),
  encodeNotify: (call) => line(requestText(undefined, call)),
  encodeBatch: (ids, calls) => line(batchRequestText(ids, calls)),
  decode: (frame) => decodeClient(frame),
} satisfies StreamClientCodec;
