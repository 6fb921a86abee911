/**
 * Serving JSON-RPC 2.0: the TCP listener (newline-delimited, with server push) on
 * the shared stream loop, and `POST /jsonrpc` on the shared HTTP server.
 */
import { createRequestContext } from '../../rpc/context.js';
import { dispatch, type SentReply } from '../../rpc/dispatch.js';
import type { Reply } from '../../rpc/message.js';
import type { Registry } from '../../rpc/registry.js';
import { createStreamServer } from '../stream-server.js';
import type { HttpBinding, HttpHandler, HttpResult, Limits, StreamBinding } from '../types.js';
import { batchText, decodeIncoming, replyText, serverCodec } from './codec.js';

const PROTOCOL = 'jsonrpc';
const JSON_TYPE = 'application/json';
const NO_CONTENT: HttpResult = { status: 204, contentType: JSON_TYPE, body: null };

/** stream serves JSON-RPC on its own TCP port, one message per line. Defaults to port 8001. */
export const stream: StreamBinding = {
  defaultPort: 8001,
  createServer: (registry, limits) => createStreamServer(registry, serverCodec, limits, PROTOCOL),
};

/**
 * http serves JSON-RPC at `POST /jsonrpc`. Every answer is 200 with a JSON body,
 * errors included (the error is in the body), except that a notification or a batch
 * of only notifications is 204 with an empty body. Subscriptions need TCP: over HTTP
 * they are refused with -32001.
 */
export const http: HttpBinding = {
  paths: ['/jsonrpc'],
  createHandler: (registry, limits) => createHandler(registry, limits),
};

function ok(text: string): HttpResult {
  return { status: 200, contentType: JSON_TYPE, body: `${text}\n` };
}

function createHandler(registry: Registry, limits: Limits): HttpHandler {
  return async (body, info) => {
    const incoming = decodeIncoming(body, limits);
    if (incoming.kind === 'reply') return ok(replyText(incoming.reply));
    if (incoming.kind !== 'call' && incoming.kind !== 'batch') return NO_CONTENT;
    // No subscriptions in this context: a subscription call is refused by dispatch.
    const { context, end } = createRequestContext({
      protocol: PROTOCOL,
      peer: info.peer,
      session: info.session,
    });
    try {
      if (incoming.kind === 'call') {
        const reply = await dispatch(registry, incoming.call, context);
        return reply === null ? NO_CONTENT : ok(replyText(reply));
      }
      const replies = await Promise.all(incoming.calls.map((call) => dispatch(registry, call, context)));
      const answered = replies.filter((r): r is SentReply => r !== null);
      return answered.length === 0 ? NO_CONTENT : ok(batchText(answered as Reply[]));
    } finally {
      end();
    }
  };
}
