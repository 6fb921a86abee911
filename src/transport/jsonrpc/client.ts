/**
 * Calling JSON-RPC 2.0 servers: over TCP on the shared stream client (pipelined
 * calls on one connection, batches, server push), or over HTTP POST with a
 * keep-alive agent (calls, notifications, batches; no push).
 */
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import type { Reply } from '../../rpc/message.js';
import { ResponseError, TransportError } from '../errors.js';
import { createStreamClient } from '../stream-client.js';
import type { CallOptions, ClientOptions, ClientTransport, OutgoingCall, Settled } from '../types.js';
import { clientCodec, decodeClient, requestText } from './codec.js';

const PROTOCOL = 'jsonrpc';

/** The TCP port used when a `tcp:` or `jsonrpc+tcp:` URL names none. */
const DEFAULT_TCP_PORT = 8001;

/** The path used when a `jsonrpc+http(s):` URL names none. */
const DEFAULT_PATH = '/jsonrpc';

/**
 * createTransport returns a client for `tcp://host:port`, `jsonrpc+tcp://host:port`,
 * `jsonrpc+http://host:port/path` or `jsonrpc+https://host:port/path`.
 * @throws Error for any other scheme.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  const host = hostOf(url);
  switch (url.protocol) {
    case 'tcp:':
    case 'jsonrpc+tcp:': {
      const port = url.port === '' ? DEFAULT_TCP_PORT : Number(url.port);
      return createStreamClient({ host, port, codec: clientCodec, protocol: PROTOCOL, options });
    }
    case 'jsonrpc+http:':
    case 'jsonrpc+https:':
      return createHttpTransport(url, host, options);
    default:
      throw new Error(`jsonrpc: no transport for ${url.protocol}// URLs`);
  }
}

// URL keeps the brackets of an IPv6 literal in `hostname`; sockets want them off.
function hostOf(url: URL): string {
  const h = url.hostname === '' ? '127.0.0.1' : url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function createHttpTransport(url: URL, host: string, options: ClientOptions): ClientTransport {
  const secure = url.protocol === 'jsonrpc+https:';
  const request = secure ? nodeHttps.request : nodeHttp.request;
  const agent = secure ? new nodeHttps.Agent({ keepAlive: true }) : new nodeHttp.Agent({ keepAlive: true });
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const path = url.pathname === '' || url.pathname === '/' ? DEFAULT_PATH : url.pathname + url.search;
  const auth =
    url.username === ''
      ? undefined
      : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  const where = `${host}:${port}`;
  const defaultTimeout = options.timeout ?? 30_000;
  const maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  // The fail function of each request in flight, so close() can end them.
  const inFlight = new Set<(error: Error) => void>();
  let nextId = 0;
  let closed = false;

  // post sends one body and resolves the response body (null when empty, as for 204).
  const post = (body: string, callOptions: CallOptions | undefined): Promise<Buffer | null> => {
    if (closed) return Promise.reject(new TransportError('closed', 'jsonrpc: client closed'));
    const signal = callOptions?.signal;
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const timeout = callOptions?.timeout ?? defaultTimeout;
    return new Promise<Buffer | null>((resolve, reject) => {
      const payload = Buffer.from(body, 'utf8');
      const req = request({
        host,
        port,
        path,
        method: 'POST',
        agent,
        auth,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      });
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const onAbort = (): void => fail(aborted(signal!));
      const finish = (): void => {
        settled = true;
        inFlight.delete(fail);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error): void => {
        if (settled) return;
        finish();
        req.destroy();
        reject(error);
      };
      inFlight.add(fail);
      if (timeout > 0) {
        timer = setTimeout(
          () => fail(new TransportError('timeout', `jsonrpc: call timed out after ${timeout} ms`)),
          timeout,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' ? 'connect' : 'closed';
        fail(
          new TransportError(reason, `jsonrpc: POST to ${where}${path} failed: ${err.message}`, {
            cause: err,
          }),
        );
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200 && status !== 204) {
          res.resume();
          fail(new TransportError('http', `jsonrpc: POST ${path} answered HTTP ${status}`, { status }));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes)
            fail(new TransportError('limit', `jsonrpc: reply larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          finish();
          resolve(size === 0 ? null : Buffer.concat(chunks, size));
        });
        res.on('error', (err) =>
          fail(new TransportError('closed', `jsonrpc: ${err.message}`, { cause: err })),
        );
      });
      req.end(payload);
    });
  };

  const replyOf = (body: Buffer | null): Reply | readonly Reply[] => {
    if (body === null) throw new ResponseError('jsonrpc: empty reply');
    const incoming = decodeClient(body);
    if (incoming.kind === 'reply') return incoming.reply;
    if (incoming.kind === 'batch') return incoming.replies;
    if (incoming.kind === 'invalid') throw new ResponseError(incoming.message);
    throw new ResponseError('jsonrpc: a notification where a reply was expected');
  };

  return {
    protocol: PROTOCOL,
    async call(call: OutgoingCall, callOptions?: CallOptions): Promise<unknown> {
      nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
      const id = nextId;
      const reply = replyOf(await post(requestText(id, call), callOptions));
      if (Array.isArray(reply)) throw new ResponseError('jsonrpc: a batch reply to a single call');
      const single = reply as Reply;
      // id null: the server could not read the request and says why.
      if (single.id !== id && !(single.id === null && !single.ok))
        throw new ResponseError(`jsonrpc: reply id ${JSON.stringify(single.id)} does not match ${id}`);
      if (single.ok) return single.result;
      throw single.error;
    },
    async notify(call: OutgoingCall): Promise<void> {
      await post(requestText(undefined, call), undefined);
    },
    async batch(calls: readonly OutgoingCall[], callOptions?: CallOptions): Promise<Settled[]> {
      if (calls.length === 0) return [];
      const ids: number[] = [];
      let body = '[';
      for (let i = 0; i < calls.length; i++) {
        nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
        ids.push(nextId);
        body += (i === 0 ? '' : ',') + requestText(nextId, calls[i]!);
      }
      const reply = replyOf(await post(`${body}]`, callOptions));
      if (!Array.isArray(reply)) {
        const single = reply as Reply;
        // The whole batch was refused (too large, unreadable).
        if (!single.ok) throw single.error;
        throw new ResponseError('jsonrpc: a single reply to a batch');
      }
      const byId = new Map<unknown, Reply>();
      for (const r of reply as readonly Reply[]) byId.set(r.id, r);
      return ids.map((id): Settled => {
        const r = byId.get(id);
        if (r === undefined) throw new ResponseError(`jsonrpc: batch reply has no answer for id ${id}`);
        return r.ok ? { ok: true, value: r.result } : { ok: false, error: r.error };
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const error = new TransportError('closed', 'jsonrpc: client closed');
      for (const fail of inFlight) fail(error);
      agent.destroy();
    },
  };
}

function aborted(signal: AbortSignal): TransportError {
  return new TransportError('aborted', 'jsonrpc: call aborted', { cause: signal.reason });
}
