/**
 * The XML-RPC client side: a {@link ClientTransport} that POSTs methodCall documents
 * over http or https on an undici connection pool (keep-alive).
 *
 * Why undici and not node:http: a call through `http.request` builds a ClientRequest,
 * an IncomingMessage, their listeners and a socket assignment per call; undici's
 * dispatcher takes a plain handler object per call, which cuts the client's CPU per
 * call by more than half (see docs/xmlrpc.md).
 */

import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { RpcError } from '../../rpc/errors.js';
import { DeadlineTimer } from '../deadline-timer.js';
import { ResponseError, TransportError } from '../errors.js';
import type { CallOptions, ClientOptions, ClientTransport, OutgoingCall, Settled } from '../types.js';
import { decodeResponse, encodeCall } from './codec.js';

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_MAX_REPLY = 64 * 1024 * 1024;
/** Connections kept per host; calls beyond this queue in the pool. */
const MAX_SOCKETS = 64;
/** A reply may nest this deep; a server we call is trusted more than a caller, not blindly. */
const MAX_REPLY_DEPTH = 512;
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function positional(call: OutgoingCall): readonly unknown[] {
  if (Array.isArray(call.params)) return call.params;
  throw new TypeError(`xmlrpc: ${call.method}: XML-RPC has positional params only; pass an array`);
}

/** What one exchange needs from its client. */
interface Owner {
  readonly maxReply: number;
  readonly closed: boolean;
  send(exchange: Exchange): void;
  done(exchange: Exchange): void;
}

/**
 * Exchange is one POST and its reply: the undici handler, the pending promise and the
 * deadline in one object, so a call allocates no closures.
 */
class Exchange implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined;
  /** Set once the promise is settled; later events are ignored. */
  settled = false;
  private answered = false;
  private retried = false;
  private status = 0;
  private statusText = '';
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;
  private size = 0;

  constructor(
    private readonly owner: Owner,
    readonly method: string,
    readonly body: Buffer,
    readonly deadline: number,
    readonly timeout: number,
    readonly signal: AbortSignal | undefined,
    private readonly resolve: (s: Settled) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  /** fail settles with `err` and stops the exchange if it is on the wire. */
  fail(err: Error): void {
    if (this.settled) return;
    this.finish(err, undefined);
    this.controller?.abort(err);
  }

  /** handleEvent makes the exchange its own abort listener. */
  handleEvent(): void {
    this.fail(new TransportError('aborted', `xmlrpc: ${this.method} aborted`));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new TransportError('closed', 'xmlrpc: call ended before it was sent'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.answered = true;
    this.status = statusCode;
    this.statusText = statusMessage ?? '';
    const declared = Number(headers['content-length']);
    const max = this.owner.maxReply;
    if (declared > max)
      this.fail(new TransportError('limit', `xmlrpc: reply of ${declared} bytes exceeds ${max}`));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.owner.maxReply) {
      this.fail(new TransportError('limit', `xmlrpc: reply exceeds ${this.owner.maxReply} bytes`));
      return;
    }
    if (this.first === undefined) this.first = chunk;
    else if (this.rest === undefined) this.rest = [this.first, chunk];
    else this.rest.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    if (this.status !== 200) {
      const text = `xmlrpc: HTTP ${this.status} ${this.statusText}`.trimEnd();
      this.finish(new TransportError('http', text, { status: this.status }), undefined);
      return;
    }
    const reply =
      this.rest !== undefined ? Buffer.concat(this.rest, this.size) : (this.first ?? Buffer.alloc(0));
    let settled: Settled;
    try {
      settled = decodeResponse(reply, { maxDepth: MAX_REPLY_DEPTH });
    } catch (err) {
      this.finish(
        new ResponseError(`xmlrpc: malformed reply to ${this.method}: ${(err as Error).message}`, {
          cause: err,
        }),
        undefined,
      );
      return;
    }
    this.finish(undefined, settled);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    if (err instanceof TransportError) {
      this.finish(err, undefined);
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // A kept-alive socket the server closed as we reused it (its idle timeout): the
    // request was not answered and almost surely never read, so it goes once more on
    // a fresh socket, as node's docs advise. Only once, never after a reply began, and
    // only when the socket had carried an earlier reply (bytes read before ours).
    const socket = (err as { socket?: { bytesRead?: number } }).socket;
    if (
      !this.answered &&
      !this.retried &&
      !this.owner.closed &&
      RESET_CODES.has(code) &&
      (socket?.bytesRead ?? 0) > 0
    ) {
      this.retried = true;
      this.controller = undefined;
      this.owner.send(this);
      return;
    }
    const reason = this.owner.closed ? 'closed' : CONNECT_CODES.has(code) ? 'connect' : 'closed';
    this.finish(
      new TransportError(reason, `xmlrpc: ${this.method}: ${err.message}`, { cause: err }),
      undefined,
    );
  }

  private finish(err: Error | undefined, settled: Settled | undefined): void {
    this.settled = true;
    this.signal?.removeEventListener('abort', this);
    this.owner.done(this);
    if (err === undefined) this.resolve(settled!);
    else this.reject(err);
  }
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
  const pool = new Pool(`${scheme}//${url.host}`, {
    connections: MAX_SOCKETS,
    // Not pipelined (a POST is not idempotent): with 2, undici holds one more call behind
    // the one on the wire, and a connection is reused at once rather than after a
    // setImmediate, so sequential calls share one connection (and its session).
    pipelining: 2,
    // Our deadline covers the whole call; undici's own timers would only duplicate it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const defaultTimeout = options.timeout ?? DEFAULT_TIMEOUT;
  const headers: Record<string, string> = { 'content-type': 'text/xml', 'user-agent': 'polyrpc' };
  if (url.username !== '') {
    const auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  }
  const path = `${url.pathname || '/'}${url.search}`;
  const inFlight = new Set<Exchange>();

  // One timer for every call's deadline (../deadline-timer.ts); unref'd while nothing
  // is in flight.
  const deadlines = new DeadlineTimer((now) => {
    let next = Number.POSITIVE_INFINITY;
    for (const x of inFlight) {
      if (x.deadline <= now)
        x.fail(new TransportError('timeout', `xmlrpc: ${x.method} timed out after ${x.timeout} ms`));
      else if (x.deadline < next) next = x.deadline;
    }
    return next;
  });

  const owner = {
    maxReply: options.maxMessageBytes ?? DEFAULT_MAX_REPLY,
    closed: false,
    send(x: Exchange): void {
      pool.dispatch({ path, method: 'POST', headers, body: x.body }, x);
    },
    done(x: Exchange): void {
      inFlight.delete(x);
      if (inFlight.size === 0) deadlines.idle();
    },
  };

  function post(method: string, xml: string, callOptions: CallOptions = {}): Promise<Settled> {
    if (owner.closed) return Promise.reject(new TransportError('closed', 'xmlrpc: client is closed'));
    const signal = callOptions.signal;
    if (signal?.aborted) return Promise.reject(new TransportError('aborted', `xmlrpc: ${method} aborted`));
    const timeout = callOptions.timeout ?? defaultTimeout;
    const deadline = timeout > 0 ? performance.now() + timeout : Number.POSITIVE_INFINITY;
    return new Promise<Settled>((resolve, reject) => {
      const x = new Exchange(owner, method, Buffer.from(xml), deadline, timeout, signal, resolve, reject);
      inFlight.add(x);
      signal?.addEventListener('abort', x, { once: true });
      if (timeout > 0) deadlines.arm(deadline);
      owner.send(x);
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
      owner.closed = true;
      const error = new TransportError('closed', 'xmlrpc: client closed');
      for (const x of inFlight) x.fail(error);
      inFlight.clear();
      deadlines.stop();
      // Not awaited: the calls are already rejected, and sockets close on their own.
      pool.destroy().catch(() => {});
    },
  };
}
