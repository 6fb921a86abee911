/**
 * Shared node:http plumbing for every protocol served over HTTP (XML-RPC on `/RPC2`
 * and `/`, JSON-RPC on `/jsonrpc`): routing by path, the POST-only rule, the body
 * size limit, timeouts, keep-alive, and a graceful drain; and the static pages of the
 * explorer on GET, when it is on.
 *
 * Exports: createHttpServer, drainHttpServer.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { StaticSite } from '../explorer/serve-static.js';
import { createRequestContext, type Peer } from '../rpc/context.js';
import type { Registry } from '../rpc/registry.js';
import type { ConnectionGate } from './connection-gate.js';
import { type AuthOutcome, authorizeRequest, CHALLENGE } from './http-auth.js';
import { HttpTelemetry, httpLabel, type MetricsSource } from './http-telemetry.js';
import type { Instrument } from './observer.js';
import { respond } from './respond.js';
import { peerOf, serverTlsOptions } from './tls.js';
import type { FrameBytes, HttpBinding, Limits, Protocol, ServerTlsOptions, UpgradeServer } from './types.js';

/** Route is one protocol's handling of one path. */
interface Route {
  readonly protocol: string;
  readonly binding: HttpBinding;
  /** The protocol label of its metrics and spans (`jsonrpc+http`). */
  readonly label: string;
}

interface ServerState {
  draining: boolean;
  /** The upgrade handlers (WebSocket), drained with the server. */
  readonly upgrades: UpgradeServer[];
}

/** HttpServerOptions are what upgrade handlers need to know of the listener. */
export interface HttpServerOptions {
  /** Whether the server listens on loopback only. Defaults to true. */
  readonly loopback?: boolean;
  /** Browser origins WebSocket upgrades accept; see {@link UpgradeInit.allowedOrigins}. */
  readonly allowedOrigins?: readonly string[];
  /** TLS: the server speaks HTTPS (and WebSocket as wss). */
  readonly tls?: ServerTlsOptions;
  /**
   * Pages served on GET and HEAD (the explorer), ahead of the POST routes: `POST /`
   * stays XML-RPC. WebSocket upgrades from the pages' own origin are accepted. Defaults to none.
   */
  readonly pages?: StaticSite;
  /** The server's connection limits, shared with its other listeners. Defaults to none. */
  readonly gate?: ConnectionGate;
  /** Metrics and tracing (observer.ts). Defaults to none. */
  readonly instrument?: Instrument;
  /** What `GET /metrics` serves; without it the path is 404. Defaults to none. */
  readonly metrics?: MetricsSource;
}

/** METRICS_PATH is where the metrics are served on the HTTP port. */
export const METRICS_PATH = '/metrics';

const states = new WeakMap<http.Server, ServerState>();

function send(
  res: http.ServerResponse,
  state: ServerState,
  status: number,
  contentType: string,
  body: string | Uint8Array | null,
  close = false,
  extra?: Readonly<Record<string, string>>,
): void {
  if (res.destroyed || res.writableEnded) return; // the client went away
  const headers: Record<string, string | number> = extra === undefined ? {} : { ...extra };
  if (close || state.draining) headers.Connection = 'close';
  if (body === null) {
    res.writeHead(status === 200 ? 204 : status, headers);
    res.end();
    return;
  }
  headers['Content-Type'] = contentType;
  headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  res.writeHead(status, headers);
  res.end(body);
}

// sendPage writes a static page's reply as is (its headers carry the length).
function sendPage(
  res: http.ServerResponse,
  state: ServerState,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array | null,
  close: boolean,
): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, close || state.draining ? { ...headers, Connection: 'close' } : headers);
  res.end(body ?? undefined);
}

// A refused request: 401 with the challenge (and the connection closed after too many).
function unauthorized(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  state: ServerState,
  outcome: AuthOutcome & { ok: false },
): void {
  send(res, state, 401, 'text/plain', `http: ${outcome.error.message}\n`, outcome.close || hasBody(req), {
    'WWW-Authenticate': CHALLENGE,
  });
}

// settleAuth runs `then` on an outcome, at once when it is known (the warm path).
function settleAuth(outcome: AuthOutcome | Promise<AuthOutcome>, then: (o: AuthOutcome) => void): void {
  if (outcome instanceof Promise) outcome.then(then);
  else then(outcome);
}

// serveMetrics answers GET /metrics: every request for the metrics comes through here.
function serveMetrics(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  state: ServerState,
  metrics: MetricsSource,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, state, 405, 'text/plain', 'http: only GET is served here\n', hasBody(req), {
      Allow: 'GET, HEAD',
    });
    return;
  }
  metrics.text().then(
    (text) => {
      if (req.method === 'HEAD')
        sendPage(res, state, 200, { 'Content-Type': metrics.contentType }, null, false);
      else send(res, state, 200, metrics.contentType, text, hasBody(req));
    },
    () => send(res, state, 500, 'text/plain', 'http: internal error\n'),
  );
}

// A body we will not read: say so and close, rather than let node drain it for us.
function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function tooLarge(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  state: ServerState,
  max: number,
): void {
  req.removeAllListeners('data');
  req.pause(); // stop reading: the rest of the body is never buffered
  send(res, state, 413, 'text/plain', `http: request body exceeds ${max} bytes\n`, true);
}

function readAndHandle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  state: ServerState,
  serve: (body: Buffer) => Promise<string | FrameBytes | null>,
  contentType: string,
  max: number,
  onTooLarge?: () => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > max) {
      over = true;
      onTooLarge?.();
      tooLarge(req, res, state, max);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (over) return;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    serve(body).then(
      (answer) => send(res, state, 200, contentType, answer === null ? null : joined(answer)),
      () => send(res, state, 500, 'text/plain', 'http: internal error\n'),
    );
  });
  req.on('error', () => {
    // aborted by the client or timed out by node: nobody is left to answer
  });
}

function joined(answer: string | FrameBytes): string | Uint8Array {
  if (typeof answer === 'string' || answer instanceof Uint8Array) return answer;
  return Buffer.concat(answer as readonly Uint8Array[]);
}

/**
 * createHttpServer returns an unlistened HTTP/1.1 server (keep-alive) that routes
 * `POST` requests by path to the bindings' handlers. What it guarantees, whatever the
 * binding:
 *
 * - an unknown path is 404; a known path with any method but POST is 405 with
 *   `Allow: POST`;
 * - with `options.pages` (the explorer), GET and HEAD of its paths are its answers,
 *   ahead of the routes (so `GET /` is the page while `POST /` stays XML-RPC);
 * - a body over `limits.maxMessageBytes` is 413 as soon as that is known (from
 *   `Content-Length`, else while counting), the rest is not read and the connection
 *   closes;
 * - a request must arrive whole within `limits.requestTimeoutMs` (headers included),
 *   headers are capped at `limits.maxHeaderBytes`, and an idle keep-alive connection
 *   closes after `limits.idleTimeoutMs`;
 * - every response carries a correct `Content-Length`.
 *
 * Handlers are built once per server. Call {@link drainHttpServer} to stop it.
 * @throws Error when two bindings claim the same path.
 */
// A keep-alive connection's session outlives each request on it, as a TCP
// connection's does; it is made only when a handler asks for it.
const sessions = new WeakMap<object, Map<string, unknown>>();
function sessionOf(socket: object): Map<string, unknown> {
  let session = sessions.get(socket);
  if (session === undefined) {
    session = new Map();
    sessions.set(socket, session);
  }
  return session;
}

export function createHttpServer(
  registry: Registry,
  protocols: readonly Protocol[],
  limits: Limits,
  options: HttpServerOptions = {},
): http.Server {
  const routes = new Map<string, Route>();
  const telemetry =
    options.instrument === undefined ? undefined : new HttpTelemetry(options.instrument, registry);
  const upgrades = new Map<string, UpgradeServer>();
  const state: ServerState = { draining: false, upgrades: [] };
  for (const p of protocols) {
    if (p.upgrade === undefined) continue;
    const handler = p.upgrade.createServer({
      registry,
      limits,
      protocol: p.name,
      loopback: options.loopback ?? true,
      allowedOrigins: options.allowedOrigins,
      sameOrigin: options.pages !== undefined,
      instrument: options.instrument,
    });
    state.upgrades.push(handler);
    for (const path of p.upgrade.paths) upgrades.set(path, handler);
  }
  for (const p of protocols) {
    if (p.http === undefined) continue;
    const route: Route = { protocol: p.name, binding: p.http, label: httpLabel(p) };
    for (const path of route.binding.paths) {
      if (routes.has(path)) throw new Error(`http: two bindings claim the path ${path}`);
      routes.set(path, route);
    }
  }
  const max = limits.maxMessageBytes;
  const serverOptions: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.requestTimeoutMs,
    // node checks the two timeouts above on this period (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.requestTimeoutMs / 4))),
    keepAlive: true,
    noDelay: true,
  };
  const pages = options.pages;
  const metrics = options.metrics;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (metrics !== undefined && path === METRICS_PATH) {
        // Behind the same authentication as the calls (Prometheus sends Basic or Bearer).
        if (registry.authenticate === undefined) serveMetrics(req, res, state, metrics);
        else
          settleAuth(authorizeRequest(registry, req), (o) =>
            o.ok ? serveMetrics(req, res, state, metrics) : unauthorized(req, res, state, o),
          );
        return;
      }
      const route = routes.get(path);
      const page = pages?.has(path) === true;
      if (page && (route === undefined || req.method === 'GET' || req.method === 'HEAD')) {
        const { method = 'GET', headers } = req;
        const reply = pages!.answer({
          method,
          path,
          ifNoneMatch: headers['if-none-match'],
          host: headers.host,
        });
        sendPage(res, state, reply.status, reply.headers, reply.body, hasBody(req));
        return;
      }
      if (route === undefined && upgrades.has(path)) {
        send(res, state, 426, 'text/plain', 'http: this path takes a WebSocket upgrade\n', hasBody(req), {
          Upgrade: 'websocket',
        });
        return;
      }
      if (route === undefined) {
        send(res, state, 404, 'text/plain', 'http: not found\n', hasBody(req));
        return;
      }
      if (req.method !== 'POST') {
        send(res, state, 405, 'text/plain', 'http: only POST is served here\n', hasBody(req), {
          Allow: page ? 'GET, HEAD, POST' : 'POST',
        });
        return;
      }
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > max) {
        telemetry?.tooLarge(route.label);
        tooLarge(req, res, state, max);
        return;
      }
      if (registry.authenticate === undefined) {
        serveRequest(req, res, route, undefined);
        return;
      }
      settleAuth(authorizeRequest(registry, req), (o) => authorized(req, res, route, o));
    }
  };
  const authorized = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    outcome: AuthOutcome,
  ): void => {
    if (outcome.ok) serveRequest(req, res, route, outcome.identity);
    else unauthorized(req, res, state, outcome);
  };
  const serveRequest = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Route,
    auth: unknown,
  ): void => {
    const socket = req.socket;
    const peer: Peer | undefined = peerOf(socket);
    const { protocol, binding, label } = route;
    const hooks = telemetry?.hooks(label, req.headers.traceparent);
    // A one-message session without push: the keep-alive connection's session map
    // (made on first use), and an abort signal made only if a handler reads it.
    const serveBody = async (body: Buffer): Promise<string | FrameBytes | null> => {
      const { context, end } = createRequestContext({
        protocol,
        peer,
        auth,
        session: () => sessionOf(socket),
      });
      try {
        const answer = await respond({ registry, codec: binding.codec, limits }, body, context, hooks);
        telemetry?.bytes(label, body, answer);
        return answer;
      } finally {
        end();
      }
    };
    readAndHandle(
      req,
      res,
      state,
      serveBody,
      binding.contentType,
      max,
      telemetry && (() => telemetry.tooLarge(label)),
    );
  };
  // An https.Server has the whole http.Server API (it mixes it in over tls.Server).
  const server =
    options.tls === undefined
      ? http.createServer(serverOptions, onRequest)
      : (https.createServer(
          { ...serverOptions, ...serverTlsOptions(options.tls) },
          onRequest,
        ) as unknown as http.Server);
  server.keepAliveTimeout = limits.idleTimeoutMs;
  const gate = options.gate;
  if (gate !== undefined)
    // Over the limit: a 503 before anything is read (under TLS, after the handshake).
    server.on(options.tls === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
      const refused = gate.admit(socket);
      if (refused === undefined) return;
      options.instrument?.observer?.limitRejected('http', 'connections');
      socket.on('error', () => {});
      const body = `http: ${refused}\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  telemetry?.watch(server, options.tls !== undefined);
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const handler = upgrades.get(q < 0 ? url : url.slice(0, q));
    if (handler === undefined || state.draining) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    telemetry?.upgraded(req.socket);
    handler.upgrade(req, socket, head);
  });
  states.set(server, state);
  return server;
}

/**
 * drainHttpServer stops `server` gracefully: it stops accepting connections, closes
 * idle keep-alive connections, lets requests in flight finish (their responses carry
 * `Connection: close`), and after `deadlineMs` closes whatever is still open. It
 * resolves once every connection is closed. Safe to call on a server that is not
 * listening.
 */
export async function drainHttpServer(server: http.Server, deadlineMs: number): Promise<void> {
  const state = states.get(server);
  if (state !== undefined) state.draining = true;
  const upgraded = Promise.all(state?.upgrades.map((u) => u.drain(deadlineMs)) ?? []);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A response finishing after this point leaves its socket idle (or closing): sweep.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
  try {
    await Promise.all([closed, upgraded]);
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
