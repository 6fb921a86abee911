/**
 * The WebSocket codecs: a text frame is one JSON-RPC 2.0 message or batch, a binary
 * frame one msgpack-rpc message without a length prefix (the frame is the frame). Both
 * reuse their protocol's codec; only the framing differs.
 *
 * Exports: textServerCodec, binaryServerCodec, textClientCodec, binaryClientCodec.
 * @internal
 */
import {
  batchText,
  decodeClient,
  decodeIncoming,
  httpClientCodec,
  pushText,
  replyText,
} from '../jsonrpc/codec.js';
import { clientCodec as msgpackClient, serverCodec as msgpackServer } from '../msgpack/codec.js';
import type { ClientCodec, FrameBytes, OutgoingCall, ServerCodec } from '../types.js';
import type { WsOut } from './connection.js';

/** unprefixed drops the 4-byte length prefix msgpack frames are encoded with. */
function unprefixed(frame: FrameBytes): FrameBytes {
  if (frame instanceof Uint8Array) return frame.subarray(4);
  const [first, ...rest] = frame as readonly Uint8Array[];
  return first === undefined ? frame : [first.subarray(4), ...rest];
}

/** textServerCodec serves JSON-RPC text frames. */
export const textServerCodec = {
  decode: decodeIncoming,
  encodeReply: replyText,
  encodeBatch: batchText,
  encodePush: pushText,
} satisfies ServerCodec<Uint8Array, WsOut>;

/** binaryServerCodec serves msgpack-rpc binary frames. */
export const binaryServerCodec = {
  decode: (frame: Uint8Array, limits) => msgpackServer.decode(frame as Buffer, limits),
  encodeReply: (reply) => unprefixed(msgpackServer.encodeReply(reply)),
  encodePush: (push) => unprefixed(msgpackServer.encodePush(push)),
} satisfies ServerCodec<Uint8Array, WsOut>;

/** textClientCodec calls JSON-RPC over text frames. */
export const textClientCodec = {
  ...httpClientCodec,
  decode: (message: Uint8Array) => decodeClient(message),
} satisfies ClientCodec<Uint8Array, WsOut>;

/** binaryClientCodec calls msgpack-rpc over binary frames. */
export const binaryClientCodec = {
  encodeCall: (id: number, call: OutgoingCall) => unprefixed(msgpackClient.encodeCall(id, call)),
  encodeNotify: (call: OutgoingCall) => unprefixed(msgpackClient.encodeNotify(call)),
  decode: (message: Uint8Array) => msgpackClient.decode(message as Buffer),
} satisfies ClientCodec<Uint8Array, WsOut>;
