/**
 * The msgpack-rpc message layer: neutral calls, replies and pushes to and
 * from length-prefixed MessagePack frames. Pure; no sockets. Wire format in
 * docs/msgpack.md.
 */
import { Code, isRpcErrorShape, RpcError, type RpcErrorShape } from '../../rpc/errors.js';
import {
  goAwayFrom,
  type Id,
  type Params,
  PushMethod,
  type Reply,
  type ServerPush,
} from '../../rpc/message.js';
import type {
  ClientIncoming,
  FrameBytes,
  Incoming,
  Limits,
  OutgoingCall,
  StreamClientCodec,
  StreamServerCodec,
} from '../types.js';
import { createBareFramer } from './bare-framing.js';
import { createEitherFramer, createFramer } from './framing.js';
import { encodeMessage } from './splice.js';
import { DecodeError, decodeValue, encodeFrame } from './values.js';

/** PROTOCOL is the name msgpack calls carry in `Context.protocol`. */
export const PROTOCOL = 'msgpack';

/** DEFAULT_PORT is the TCP port msgpack is served on and called at when none is given. */
export const DEFAULT_PORT = 8002;

/** MessageType is the first element of every msgpack-rpc message. */
export const MessageType = { Request: 0, Response: 1, Notification: 2 } as const;

/**
 * CLIENT_MAX_DEPTH is the deepest nesting a client accepts in a reply or push. Servers
 * enforce their own (lower) `maxDepth` on what they receive.
 */
export const CLIENT_MAX_DEPTH = 512;

/**
 * serverCodec is the server side of the wire format. `decode` never throws: a frame
 * that is not MessagePack of the supported subset is answered with msgid nil and
 * {@link Code.ParseError} (or {@link Code.LimitExceeded} when nested too deep), and
 * the connection stays open since framing is intact; a message of the wrong shape gets
 * {@link Code.InvalidRequest} with its msgid when it has a usable one; a well-formed
 * request holding a str that is not UTF-8 gets {@link Code.ParseError} with its msgid.
 * A frame over the
 * size limit is a FrameError carrying the same kind of error frame, and the connection
 * closes. Encoders never throw: a value that cannot be encoded becomes an internal error.
 *
 * Its framer takes length-prefixed frames or bare msgpack-rpc messages, chosen by each
 * connection's first byte (`createEitherFramer`). In bare mode a message over the size
 * limit, nested deeper than `maxDepth`, or holding a byte that is no MessagePack token
 * has no end that can be found: it gets the error with msgid nil, and the connection
 * closes. Encoders write length-prefixed frames; a bare connection's framer drops the
 * prefix on the way out.
 */
export const serverCodec: StreamServerCodec = {
  createFramer(limits: Limits) {
    return createEitherFramer(
      {
        maxBytes: limits.maxMessageBytes,
        tooLarge: (length, max) =>
          errorFrame(null, {
            code: Code.LimitExceeded,
            message: `msgpack: frame of ${length} bytes exceeds the limit of ${max}`,
          }),
      },
      {
        maxBytes: limits.maxMessageBytes,
        maxDepth: limits.maxDepth,
        refuse: (code, message) => errorFrame(null, { code, message }),
      },
    );
  },

  peekId(frame: Buffer): number | undefined {
    return peekRequestId(frame) ?? undefined;
  },

  decode(frame: Buffer, limits: Limits): Incoming {
    let msg: unknown;
    try {
      msg = decodeValue(frame, limits.maxDepth);
    } catch (err) {
      const e = err instanceof DecodeError ? err : new DecodeError('msgpack: undecodable frame');
      // Invalid text in a well-formed frame: the error goes to the request it came in,
      // and a notification stays unanswered.
      const m = e.readable;
      if (Array.isArray(m) && m[0] === MessageType.Request && isMsgId(m[1]))
        return refuse(m[1], e.code, e.message);
      if (Array.isArray(m) && m[0] === MessageType.Notification) return { kind: 'ignore' };
      // Else the msgid comes before the params: when it can be read, the error names the call.
      return refuse(peekRequestId(frame), e.code, e.message);
    }
    if (!Array.isArray(msg)) return refuse(null, Code.InvalidRequest, 'msgpack: a message must be an array');
    switch (msg[0]) {
      case MessageType.Request: {
        const id = msg[1];
        if (!isMsgId(id))
          return refuse(null, Code.InvalidRequest, 'msgpack: a request msgid must be an unsigned integer');
        if (msg.length !== 4)
          return refuse(id, Code.InvalidRequest, 'msgpack: a request is [0, msgid, method, params]');
        if (typeof msg[2] !== 'string')
          return refuse(id, Code.InvalidRequest, 'msgpack: a request method must be a string');
        if (!isParams(msg[3]))
          return refuse(id, Code.InvalidRequest, 'msgpack: request params must be an array or a map');
        return { kind: 'call', call: { id, method: msg[2], params: msg[3] } };
      }
      case MessageType.Notification:
        // A notification gets no reply, even a malformed one.
        if (msg.length !== 3 || typeof msg[1] !== 'string' || !isParams(msg[2])) return { kind: 'ignore' };
        return { kind: 'call', call: { method: msg[1], params: msg[2] } };
      case MessageType.Response:
        // The server never sends requests, so there is nothing to match a response to;
        // answering it could start two confused peers answering each other forever.
        return { kind: 'ignore' };
      default:
        return refuse(
          null,
          Code.InvalidRequest,
          'msgpack: message type must be 0 (request) or 2 (notification)',
        );
    }
  },

  encodeReply(reply: Reply): FrameBytes {
    const id = reply.id ?? null;
    if (!reply.ok) return errorFrame(id, reply.error.toShape());
    try {
      return encodeMessage([MessageType.Response, id, null, reply.result ?? null]);
    } catch {
      return errorFrame(id, { code: Code.Internal, message: 'msgpack: the result could not be encoded' });
    }
  },

  encodePush(push: ServerPush): FrameBytes {
    if (push.kind === 'goaway')
      return encodeFrame([MessageType.Notification, PushMethod.GoAway, [push.reason, push.deadlineMs]]);
    if (push.kind === 'event') {
      try {
        const params =
          push.eventId === undefined
            ? [push.subscription, push.event]
            : [push.subscription, push.event, push.eventId];
        return encodeMessage([MessageType.Notification, PushMethod.Event, params]);
      } catch {
        // The peer learns the stream is broken rather than missing an event silently.
        const error = { code: Code.Internal, message: 'msgpack: an event could not be encoded' };
        return encodeFrame([MessageType.Notification, PushMethod.End, [push.subscription, error]]);
      }
    }
    const params = push.error === undefined ? [push.subscription] : [push.subscription, push.error.toShape()];
    try {
      return encodeFrame([MessageType.Notification, PushMethod.End, params]);
    } catch {
      return encodeFrame([MessageType.Notification, PushMethod.End, [push.subscription, internal()]]);
    }
  },
};

/**
 * clientCodec is the client side of the wire format.
 * `encodeCall` and `encodeNotify` throw when the params cannot be encoded (a symbol, a
 * bigint beyond 64 bits, an invalid Date); `decode` never throws.
 */
export const clientCodec: StreamClientCodec = {
  createFramer(maxMessageBytes: number) {
    return createFramer({ maxBytes: maxMessageBytes });
  },

  encodeCall(id: number, call: OutgoingCall): FrameBytes {
    return encodeMessage([MessageType.Request, id, call.method, call.params]);
  },

  encodeNotify(call: OutgoingCall): FrameBytes {
    return encodeMessage([MessageType.Notification, call.method, call.params]);
  },

  decode(frame: Buffer): ClientIncoming {
    let msg: unknown;
    try {
      msg = decodeValue(frame, CLIENT_MAX_DEPTH);
    } catch (err) {
      return { kind: 'invalid', message: err instanceof Error ? err.message : 'msgpack: undecodable frame' };
    }
    if (!Array.isArray(msg)) return { kind: 'invalid', message: 'msgpack: a message must be an array' };
    if (msg[0] === MessageType.Response && msg.length === 4) return decodeResponse(msg[1], msg[2], msg[3]);
    if (msg[0] === MessageType.Notification && msg.length === 3 && Array.isArray(msg[2])) {
      const push = decodePush(msg[1], msg[2]);
      if (push !== undefined) return { kind: 'push', push };
    }
    return { kind: 'invalid', message: 'msgpack: not a response or a known notification' };
  },
};

/**
 * bareClientCodec is {@link clientCodec} over bare msgpack-rpc framing (no length
 * prefix), for `msgpack+bare://` URLs.
 */
export const bareClientCodec: StreamClientCodec = {
  ...clientCodec,
  createFramer(maxMessageBytes: number) {
    return createBareFramer({ maxBytes: maxMessageBytes, maxDepth: CLIENT_MAX_DEPTH });
  },
};

function decodeResponse(id: unknown, error: unknown, result: unknown): ClientIncoming {
  if (id === null) {
    // The server could not read something we sent and could not tell which call it was:
    // an unaddressed error, which the client gives to the oldest call in flight.
    if (isRpcErrorShape(error))
      return { kind: 'reply', reply: { id: null, ok: false, error: RpcError.fromShape(error) } };
    return { kind: 'invalid', message: 'msgpack: server error without msgid and without detail' };
  }
  if (!isMsgId(id))
    return { kind: 'invalid', message: 'msgpack: a response msgid must be an unsigned integer' };
  if (error === null) return { kind: 'reply', reply: { id, ok: true, result } };
  if (isRpcErrorShape(error))
    return { kind: 'reply', reply: { id, ok: false, error: RpcError.fromShape(error) } };
  // Other msgpack-rpc servers often send the error as a bare string.
  if (typeof error === 'string')
    return { kind: 'reply', reply: { id, ok: false, error: new RpcError(Code.Internal, error) } };
  return { kind: 'invalid', message: 'msgpack: a response error must be nil or {code, message}', id };
}

function decodePush(method: unknown, params: readonly unknown[]): ServerPush | undefined {
  if (method === PushMethod.GoAway) return goAwayFrom(params);
  const subscription = params[0];
  if (typeof subscription !== 'number' || !Number.isSafeInteger(subscription)) return undefined;
  if (method === PushMethod.Event && params.length === 2)
    return { kind: 'event', subscription, event: params[1] };
  if (method === PushMethod.Event && params.length === 3)
    return { kind: 'event', subscription, event: params[1], eventId: params[2] };
  if (method === PushMethod.End && params.length === 1) return { kind: 'end', subscription };
  if (method === PushMethod.End && params.length === 2 && isRpcErrorShape(params[1]))
    return { kind: 'end', subscription, error: RpcError.fromShape(params[1]) };
  return undefined;
}

/**
 * peekRequestId reads the msgid of a request whose body could not be decoded, from
 * its first bytes (`[0, msgid, …`: an array header, 0, then an unsigned integer), or
 * returns null when those bytes are not there.
 */
export function peekRequestId(frame: Uint8Array): number | null {
  let i: number;
  const head = frame[0];
  if (head === 0x94)
    i = 1; // fixarray of 4
  else if (head === 0xdc && frame[1] === 0 && frame[2] === 4)
    i = 3; // array16 of 4
  else if (head === 0xdd && frame[1] === 0 && frame[2] === 0 && frame[3] === 0 && frame[4] === 4) i = 5;
  else return null;
  if (frame[i] !== MessageType.Request) return null;
  const t = frame[i + 1];
  if (t === undefined) return null;
  if (t <= 0x7f) return t; // positive fixint
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const at = i + 2;
  if (t === 0xcc && at + 1 <= frame.length) return view.getUint8(at);
  if (t === 0xcd && at + 2 <= frame.length) return view.getUint16(at);
  if (t === 0xce && at + 4 <= frame.length) return view.getUint32(at);
  if (t === 0xcf && at + 8 <= frame.length) {
    const id = view.getBigUint64(at);
    return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : null;
  }
  return null;
}

/** isMsgId accepts an unsigned integer msgid (msgpack-rpc uses uint32; up to 2^53 − 1 is allowed). */
function isMsgId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

function isParams(p: unknown): p is Params {
  if (Array.isArray(p)) return true;
  if (typeof p !== 'object' || p === null) return false;
  // Decoded maps are plain objects; bins (Buffer) and timestamps (Date) are not params.
  const proto = Object.getPrototypeOf(p);
  return proto === Object.prototype || proto === null;
}

function refuse(id: Id, code: number, message: string): Incoming {
  return { kind: 'reply', reply: { id, ok: false, error: new RpcError(code, message) } };
}

function internal(): RpcErrorShape {
  return { code: Code.Internal, message: 'msgpack: an error could not be encoded' };
}

// An error response; if its `data` cannot be encoded, it is sent without it.
function errorFrame(id: Id, shape: RpcErrorShape): Uint8Array {
  try {
    return encodeFrame([MessageType.Response, id, shape, null]);
  } catch {
    try {
      return encodeFrame([MessageType.Response, id, { code: shape.code, message: shape.message }, null]);
    } catch {
      return encodeFrame([MessageType.Response, id, internal(), null]);
    }
  }
}
