/**
 * The XML-RPC client side: a {@link ClientTransport} that POSTs methodCall documents
 * over http or https on a keep-alive agent.
 */
import http from 'node:http';
import https from 'node:https';
import { RpcError } from '../../rpc/errors.js';
import { ResponseError, TransportError } from '../errors.js';
import type { CallOptions, ClientOptions, ClientTransport, OutgoingCall, Settled } from '../types.js';
import { decodeResponse, encodeCall } from './codec.js';

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_MAX_REPLY = 64 * 1024 * 1024;
/** Sockets kept per host; calls beyond this queue on the agent. */
const MAX_SOCKETS = 64;
/** A reply may nest this deep; a server we call is trusted more than a caller, not blindly. */
const MAX_REPLY_DEPTH = 512;
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function positional(call: OutgoingCall): readonly unknown[] {
  if (Array.isArray(call.params)) return call.params;
  throw new TypeError(`xmlrpc: ${call.method}: XML-RPC has positional params only; pass an array`);
}

// Collects one reply (within maxReply bytes) and decodes it.
function receive(
  req: http.ClientRequest,
  res: http.IncomingMessage,
  method: string,
  maxReply: number,
  finish: (err: Error | undefined, settled?: Settled) => void,
): void {
  const status = res.statusCode ?? 0;
  const declared = Number(res.headers['content-length']);
  if (declared > maxReply) {
    req.destroy(new TransportError('limit', `xmlrpc: reply of ${declared} bytes exceeds ${maxReply}`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxReply) req.destroy(new TransportError('limit', `xmlrpc: reply exceeds ${maxReply} bytes`));
    else chunks.push(chunk);
  });
  res.on('end', () => {
    if (status !== 200) {
      const text = `xmlrpc: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd();
      finish(new TransportError('http', text, { status }));
      return;
    }
    try {
      finish(undefined, decodeResponse(Buffer.concat(chunks, size), { maxDepth: MAX_REPLY_DEPTH }));
    } catch (err) {
      finish(
        new ResponseError(`xmlrpc: malformed reply to ${method}: ${(err as Error).message}`, { cause: err }),
      );
    }
  });
  res.on('error', () => {}); // the request's error handler reports it
}

/**
 * createTransport returns an XML-RPC client for `url` (`http:`, `https:`, or the same
 * with an `xmlrpc+` prefix). Calls go to the URL's path (`/` when it has none). Calls
 * may run concurrently, each on its own keep-alive connection (up to 64 per host,
 * then queued). A fault rejects with RpcError (same code and message); an HTTP
 * status other than 200 or a connection failure with TransportError; a reply that is
 * not a methodResponse with ResponseError.
 * @throws TypeError when the URL's scheme is not one of the above.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  const scheme = url.protocol.startsWith('xmlrpc+') ? url.protocol.slice(7) : url.protocol;
  if (scheme !== 'http:' && scheme !== 'https:')
    throw new TypeError(`xmlrpc: cannot call ${url.protocol}// URLs`);
  const lib = scheme === 'https:' ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const defaultTimeout = options.timeout ?? DEFAULT_TIMEOUT;
  const maxReply = options.maxMessageBytes ?? DEFAULT_MAX_REPLY;
  const target = {
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname || '/'}${url.search}`,
    auth:
      url.username === ''
        ? undefined
        : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  };
  const inFlight = new Set<http.ClientRequest>();
  let closed = false;

  function post(method: string, body: string, callOptions: CallOptions = {}): Promise<Settled> {
    if (closed) return Promise.reject(new TransportError('closed', 'xmlrpc: client is closed'));
    const signal = callOptions.signal;
    if (signal?.aborted) return Promise.reject(new TransportError('aborted', `xmlrpc: ${method} aborted`));
    const timeout = callOptions.timeout ?? defaultTimeout;
    return new Promise<Settled>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let req: http.ClientRequest;
      const onAbort = (): void => {
        req.destroy(new TransportError('aborted', `xmlrpc: ${method} aborted`));
      };
      const finish = (err: Error | undefined, settled?: Settled): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        inFlight.delete(req);
        if (err === undefined) resolve(settled!);
        else reject(err);
      };
      const send = (retried: boolean): void => {
        req = lib.request({
          ...target,
          agent,
          method: 'POST',
          headers: {
            'Content-Type': 'text/xml',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'polyrpc',
          },
        });
        inFlight.add(req);
        let answered = false;
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err instanceof TransportError) return finish(err);
          // A kept-alive socket the server closed as we reused it (its idle timeout): the
          // request was not answered and almost surely never read, so it goes once more
          // on a fresh socket, as node's docs advise. Only once, and never after a reply began.
          if (!answered && !retried && !closed && req.reusedSocket && err.code === 'ECONNRESET') {
            inFlight.delete(req);
            return send(true);
          }
          const reason = closed ? 'closed' : CONNECT_CODES.has(err.code ?? '') ? 'connect' : 'closed';
          finish(new TransportError(reason, `xmlrpc: ${method}: ${err.message}`, { cause: err }));
        });
        req.on('response', (res) => {
          answered = true;
          receive(req, res, method, maxReply, finish);
        });
        req.end(body);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(
          () => req.destroy(new TransportError('timeout', `xmlrpc: ${method} timed out after ${timeout} ms`)),
          timeout,
        );
      }
      send(false);
    });
  }

  return {
    protocol: 'xmlrpc',

    async call(call: OutgoingCall, callOptions?: CallOptions): Promise<unknown> {
      const settled = await post(call.method, encodeCall(call.method, positional(call)), callOptions);
      if (settled.ok) return settled.value;
      throw settled.error;
    },

    async batch(calls: readonly OutgoingCall[], callOptions?: CallOptions): Promise<Settled[]> {
      if (calls.length === 0) return [];
      const entries = calls.map((c) => ({ methodName: c.method, params: positional(c) }));
      const settled = await post('system.multicall', encodeCall('system.multicall', [entries]), callOptions);
      if (!settled.ok) throw settled.error;
      const results = settled.value;
      if (!Array.isArray(results) || results.length !== calls.length)
        throw new ResponseError(
          `xmlrpc: system.multicall returned ${Array.isArray(results) ? results.length : 'no'} results for ${calls.length} calls`,
        );
      return results.map((r): Settled => {
        if (Array.isArray(r) && r.length === 1) return { ok: true, value: r[0] };
        const f = r as { faultCode?: unknown; faultString?: unknown } | null;
        if (typeof f === 'object' && f !== null && Number.isSafeInteger(f.faultCode))
          return {
            ok: false,
            error: new RpcError(
              f.faultCode as number,
              typeof f.faultString === 'string' ? f.faultString : '',
            ),
          };
        throw new ResponseError('xmlrpc: a system.multicall result is neither [value] nor a fault');
      });
    },

    async close(): Promise<void> {
      closed = true;
      for (const req of inFlight) req.destroy(new TransportError('closed', 'xmlrpc: client closed'));
      inFlight.clear();
      agent.destroy();
    },
  };
}
