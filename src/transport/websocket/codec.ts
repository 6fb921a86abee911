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
import { peekRequestId as peekJsonId } from '../jsonrpc/peek.js';
import { withoutPrefix } from '../msgpack/bare-framing.js';
import {
  clientCodec as msgpackClient,
  serverCodec as msgpackServer,
  peekRequestId,
} from '../msgpack/codec.js';
import type { ClientCodec, OutgoingCall, ServerCodec } from '../types.js';
import type { WsOut } from './connection.js';

/** textServerCodec serves JSON-RPC text frames. */
export const textServerCodec = {
  decode: decodeIncoming,
  peekId: peekJsonId,
  encodeReply: replyText,
  encodeBatch: batchText,
  encodePush: pushText,
} satisfies ServerCodec<Uint8Array, WsOut>;

/** binaryServerCodec serves msgpack-rpc binary frames. */
export const binaryServerCodec = {
  decode: (frame: Uint8Array, limits) => msgpackServer.decode(frame as Buffer, limits),
  peekId: (frame: Uint8Array) => peekRequestId(frame) ?? undefined,
  encodeReply: (reply) => withoutPrefix(msgpackServer.encodeReply(reply)),
  encodePush: (push) => withoutPrefix(msgpackServer.encodePush(push)),
} satisfies ServerCodec<Uint8Array, WsOut>;

/** textClientCodec calls JSON-RPC over text frames. */
export const textClientCodec = {
  ...httpClientCodec,
  decode: (message: Uint8Array) => decodeClient(message),
} satisfies ClientCodec<Uint8Array, WsOut>;

/** binaryClientCodec calls msgpack-rpc over binary frames. */
export const binaryClientCodec = {
  encodeCall: (id: number, call: OutgoingCall) => withoutPrefix(msgpackClient.encodeCall(id, call)),
  encodeNotify: (call: OutgoingCall) => withoutPrefix(msgpackClient.encodeNotify(call)),
  decode: (message: Uint8Array) => msgpackClient.decode(message as Buffer),
} satisfies ClientCodec<Uint8Array, WsOut>;
