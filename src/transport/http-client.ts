/**
 * The one HTTP client stack, for every protocol that POSTs a message and reads the
 * answer (XML-RPC, JSON-RPC over HTTP): an undici connection pool (keep-alive), one
 * {@link PendingCalls} table for ids, deadlines and aborts, and one rule for failures.
 *
 * The rule: a failure before the connection was made (refused, no such host, no
 * route) is `TransportError('connect')` and the call never reached the server. Any
 * other failure before the answer is complete is `TransportError('closed')`: the
 * outcome is unknown, and the call is sent again — once — only when the caller marked
 * it `idempotent`. Nothing is ever resent silently — except a call the server
 * answered -32003 (`Code.NotExecuted`: it did not run it), which is sent once more
 * after 250 ms (`retryNotExecuted`).
 *
 * Why undici and not node:http: a call through `http.request` builds a ClientRequest,
 * an IncomingMessage, their listeners and a socket assignment per call; undici's
 * dispatcher takes one plain handler object per call, which cuts the client's CPU per
 * call by more than half (see docs/xmlrpc.md).
 *
 * Exports: createHttpTransport, HttpClientInit.
 * @internal
 */
import { Pool } from 'undici';
import { Code } from '../rpc/errors.js';
import { hostForUrl, hostOf, portOf } from './address.js';
import { authorizationHeader, resolveAuth } from './client-auth.js';
import { ResponseError, TransportError } from './errors.js';
import { Exchange, type ExchangeOwner } from './http-exchange.js';
import { PendingCalls } from './pending-calls.js';
import { clientTlsOptions } from './tls.js';
import { activeTraceparent, tracingInstalled } from './tracing.js';
import type {
  CallOptions,
  ClientCodec,
  ClientOptions,
  ClientTransport,
  OutgoingCall,
  Settled,
} from './types.js';

/** Connections kept per host; calls beyond this queue in the pool. */
const MAX_SOCKETS = 64;
/** Wait before sending again a call answered -32003 (the server was shutting down), in ms. */
const NOT_EXECUTED_DELAY_MS = 250;

/** HttpClientInit says where to POST and how to speak. */
export interface HttpClientInit {
  /** Protocol name, for errors and `ClientTransport.protocol`. */
  readonly protocol: string;
  /** `http:` or `https:` URL; its path (or `defaultPath`) receives every POST. */
  readonly url: URL;
  readonly defaultPath: string;
  readonly contentType: string;
  readonly codec: ClientCodec<Uint8Array, string | Uint8Array>;
  readonly options?: ClientOptions;
}

/**
 * createHttpTransport returns a ClientTransport that POSTs each call (or batch) as
 * one message. Calls run concurrently, each on a keep-alive connection of a pool (up
 * to 64 per host, then queued). There is no server push over HTTP.
 */
export function createHttpTransport(init: HttpClientInit): ClientTransport {
  const { url, codec, protocol } = init;
  const scheme = url.protocol.endsWith('https:') ? 'https:' : 'http:';
  const host = hostOf(url);
  const where = `${hostForUrl(host)}:${portOf(url, scheme === 'https:' ? 443 : 80)}`;
  const origin = `${scheme}//${where}`;
  const pool = new Pool(origin, {
    connections: MAX_SOCKETS,
    // Not pipelined (a POST is not idempotent): with 2, undici holds one more call behind
    // the one on the wire, and a connection is reused at once rather than after a
    // setImmediate, so sequential calls share one connection (and its session).
    pipelining: 2,
    // Our deadline covers the whole call; undici's own timers would only duplicate it.
    headersTimeout: 0,
    bodyTimeout: 0,
    // https: the server's certificate is verified (options.tls.insecureSkipVerify turns that off).
    connect: scheme === 'https:' ? clientTlsOptions(init.options?.tls, host) : undefined,
  });
  const headers: Record<string, string> = { 'content-type': init.contentType, 'user-agent': 'polyrpc' };
  const auth = resolveAuth(url, init.options);
  if (auth !== undefined) headers.authorization = authorizationHeader(auth);
  const path =
    url.pathname === '' || url.pathname === '/' ? init.defaultPath : `${url.pathname}${url.search}`;
  const pending = new PendingCalls(protocol, init.options?.timeout ?? 30_000);
  const tracing = tracingInstalled();
  const notifications = new Map<Exchange, { resolve: () => void; reject: (e: Error) => void }>();
  const retryNotExecuted = Math.max(0, init.options?.retryNotExecuted ?? 1);

  // A -32003 answer: the server did not run the call (it is shutting down), so it is
  // sent again after a short delay (a restarted or other instance may take it), within
  // its deadline, `retryNotExecuted` times at most.
  const resendLater = (x: Exchange, id: number): boolean => {
    const call = pending.resendable(id, retryNotExecuted);
    if (call === undefined) return false;
    setTimeout(() => {
      if (!pending.has(id) || client.closed) return;
      try {
        client.send(new Exchange(client, [id], false, codec.encodeCall(id, call), x.idempotent));
      } catch (err) {
        pending.fail(id, asError(err));
      }
    }, NOT_EXECUTED_DELAY_MS);
    return true;
  };

  const client: ExchangeOwner = {
    protocol,
    where,
    maxReply: init.options?.maxMessageBytes ?? 64 * 1024 * 1024,
    closed: false,
    send(x) {
      // The active span's trace context, as the W3C header (tracing.ts).
      const traceparent = tracing ? activeTraceparent() : undefined;
      pool.dispatch(
        {
          path,
          method: 'POST',
          headers: traceparent === undefined ? headers : { ...headers, traceparent },
          body: x.body,
        },
        x,
      );
    },
    answer(x, status, body) {
      if (status !== 200 && status !== 204)
        return this.failed(
          x,
          new TransportError('http', `${protocol}: POST ${path} answered HTTP ${status}`, { status }),
        );
      if (x.ids.length === 0) return notifications.get(x)?.resolve();
      if (body.length === 0) return this.failed(x, new ResponseError(`${protocol}: empty reply`));
      settle(x, body);
    },
    failed(x, error) {
      const n = notifications.get(x);
      if (n !== undefined) return n.reject(error);
      for (const id of x.ids) pending.fail(id, error);
    },
  };

  const settle = (x: Exchange, body: Buffer): void => {
    const incoming = codec.decode(body, x);
    if (incoming.kind === 'reply') {
      const reply = incoming.reply;
      const id = x.ids[0]!;
      if (x.batch) {
        // The whole batch was refused (too large, unreadable): every call gets the error.
        const error = reply.ok ? new ResponseError(`${protocol}: a single reply to a batch`) : reply.error;
        for (const each of x.ids) pending.fail(each, error);
      } else if (reply.id === null && !reply.ok)
        pending.fail(id, reply.error); // could not read our request
      else if (reply.id !== id)
        pending.fail(
          id,
          new ResponseError(`${protocol}: reply id ${JSON.stringify(reply.id)} does not match ${id}`),
        );
      else if (reply.ok || reply.error.code !== Code.NotExecuted || !resendLater(x, id))
        pending.settle(reply);
    } else if (incoming.kind === 'batch') {
      for (const reply of incoming.replies) pending.settle(reply);
      const missing = new ResponseError(`${protocol}: the batch reply has no answer for some calls`);
      for (const id of x.ids) pending.fail(id, missing);
    } else {
      const message =
        incoming.kind === 'invalid'
          ? incoming.message
          : `${protocol}: a notification where a reply was expected`;
      const error = new ResponseError(
        message.startsWith(`${protocol}:`) ? message : `${protocol}: ${message}`,
      );
      for (const id of x.ids) pending.fail(id, error);
    }
  };

  const refused = (options: CallOptions | undefined): Error | undefined =>
    client.closed ? new TransportError('closed', `${protocol}: client closed`) : pending.refused(options);

  const transport: ClientTransport = {
    protocol,
    call(call: OutgoingCall, options?: CallOptions): Promise<unknown> {
      const no = refused(options);
      if (no !== undefined) return Promise.reject(no);
      let x: Exchange | undefined;
      const { id, promise } = pending.add(options, {
        cancel: (e) => x?.abort(e),
        call: retryNotExecuted > 0 ? call : undefined,
      });
      try {
        x = new Exchange(client, [id], false, codec.encodeCall(id, call), options?.idempotent === true);
      } catch (err) {
        pending.fail(id, asError(err));
        return promise;
      }
      client.send(x);
      return promise;
    },
    async close(): Promise<void> {
      if (client.closed) return;
      client.closed = true;
      const error = new TransportError('closed', `${protocol}: client closed`);
      pending.failAll(error);
      for (const n of notifications.values()) n.reject(error);
      // Not awaited: the calls are already rejected, and sockets close on their own.
      pool.destroy().catch(() => {});
    },
  };

  const encodeNotify = codec.encodeNotify;
  if (encodeNotify !== undefined) {
    transport.notify = (call: OutgoingCall): Promise<void> => {
      const no = refused(undefined);
      if (no !== undefined) return Promise.reject(no);
      const x = new Exchange(client, [], false, encodeNotify.call(codec, call), false);
      const done = new Promise<void>((resolve, reject) => notifications.set(x, { resolve, reject }));
      client.send(x);
      return done.finally(() => notifications.delete(x));
    };
  }

  const encodeBatch = codec.encodeBatch;
  if (encodeBatch !== undefined) {
    transport.batch = async (calls: readonly OutgoingCall[], options?: CallOptions): Promise<Settled[]> => {
      if (calls.length === 0) return [];
      const no = refused(options);
      if (no !== undefined) throw no;
      let x: Exchange | undefined;
      const entries = pending.addBatch(calls.length, options, (e) => x?.abort(e));
      const ids = entries.map((e) => e.id);
      try {
        x = new Exchange(
          client,
          ids,
          true,
          encodeBatch.call(codec, ids, calls),
          options?.idempotent === true,
        );
      } catch (err) {
        for (const id of ids) pending.fail(id, asError(err));
      }
      if (x !== undefined) client.send(x);
      const replies = await Promise.all(entries.map((e) => e.promise));
      return replies.map(
        (r): Settled => (r.ok ? { ok: true, value: r.result } : { ok: false, error: r.error }),
      );
    };
  }
  return transport;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
