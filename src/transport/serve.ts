/**
 * serve runs one service on every registered protocol at once: one shared HTTP
 * server for the protocols with an HTTP binding, and one TCP listener for each
 * protocol with a stream binding.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createExplorerSite } from '../explorer/serve-static.js';
import { createRegistry, type Registry, type RegistryOptions } from '../rpc/registry.js';
import type { Service } from '../rpc/service.js';
import { hostForUrl, isLoopbackHost } from './address.js';
import { createConnectionGate } from './connection-gate.js';
import { createHttpServer, drainHttpServer, METRICS_PATH } from './http.js';
import { protocols as registered } from './index.js';
import type { Metrics } from './metrics.js';
import type { Instrument } from './observer.js';
import { createStreamServer, type StreamServer } from './stream-server.js';
import { secureScheme } from './tls.js';
import { tracingInstalled } from './tracing.js';
import { defaultLimits, type Limits, type Protocol, type ServerTlsOptions } from './types.js';

/** ServeOptions configure {@link serve}. Every field has a default. */
export interface ServeOptions extends RegistryOptions {
  /** Address every listener binds. Defaults to `127.0.0.1`. */
  readonly host?: string;
  /** Port of the shared HTTP server (XML-RPC, JSON-RPC over HTTP); 0 picks one, null turns it off. Defaults to 8000. */
  readonly httpPort?: number | null;
  /**
   * TCP port per stream protocol, by name (`jsonrpc`, `msgpack`); 0 picks one, null
   * turns that listener off. Defaults to each protocol's own (8001, 8002).
   */
  readonly ports?: Readonly<Record<string, number | null>>;
  /** Names of the protocols to serve. Defaults to all registered protocols. */
  readonly protocols?: readonly string[];
  /** Limits; whatever is left out comes from `defaultLimits`. */
  readonly limits?: Partial<Limits>;
  /**
   * Browser origins (`Origin` header values, e.g. `https://app.example`) WebSocket
   * upgrades accept. Clients that send no Origin (not browsers) are always accepted.
   * Defaults to any origin when `host` is a loopback address, and none otherwise.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * TLS for every listener: the HTTP port speaks HTTPS (XML-RPC, JSON-RPC over HTTP,
   * WebSocket as wss), every TCP port speaks TLS; listener URLs show the secure
   * schemes. Defaults to none.
   */
  readonly tls?: ServerTlsOptions;
  /**
   * Serve the explorer page at `GET /` of the HTTP port: a browser page to browse,
   * call and subscribe to the procedures, over the WebSocket at `/ws` (so only when
   * the `websocket` protocol is served). There is no authentication yet, so it
   * defaults to true only when `host` is a loopback address, and false otherwise.
   */
  readonly explorer?: boolean;
  /**
   * Keep Prometheus metrics (`RpcServer.metrics`) and serve them at `GET /metrics` of
   * the HTTP port (docs/operations.md lists them). There is no authentication on that
   * path yet, so it defaults to true only when `host` is a loopback address.
   */
  readonly metrics?: boolean;
  /**
   * Make an OpenTelemetry span per call, continuing the caller's `traceparent`.
   * Defaults to whether an OpenTelemetry SDK has registered a tracer provider when
   * `serve` is called (without one every span would be a no-op, so none is made).
   */
  readonly tracing?: boolean;
}

/** EXPLORER_WS_PATH is the WebSocket path the explorer page connects to. */
const EXPLORER_WS_PATH = '/ws';

/**
 * explorerServed tells whether the explorer page is served: as `explorer` says, by
 * default only on a loopback `host`, and never without the WebSocket it talks over.
 * @internal
 */
export function explorerServed(
  explorer: boolean | undefined,
  host: string,
  httpProtocols: readonly Protocol[],
): boolean {
  const wanted = explorer ?? isLoopbackHost(host);
  return wanted && httpProtocols.some((p) => p.upgrade?.paths.includes(EXPLORER_WS_PATH) === true);
}

/** Listener is one address a server answers on, as a client URL. */
export interface Listener {
  readonly protocol: string;
  /**
   * Where it listens, e.g. `http://127.0.0.1:8000/jsonrpc` or `tcp://127.0.0.1:8001`.
   * It works as it is in `createClient` and the CLI (`protocolFor` routes `/jsonrpc`).
   */
  readonly url: string;
  /** The same address with the protocol named in the scheme, e.g. `jsonrpc+http://127.0.0.1:8000/jsonrpc`. */
  readonly clientUrl: string;
}

/** RpcServer is a running server. */
export interface RpcServer {
  readonly registry: Registry;
  /** One entry per listening endpoint, e.g. `{ protocol: 'xmlrpc', url: 'http://127.0.0.1:8000/RPC2' }`. */
  readonly listeners: readonly Listener[];
  /** The explorer page's URL (e.g. `http://127.0.0.1:8000/`), when it is served. */
  readonly explorer?: string;
  /**
   * The server's metrics, when they are on: `await server.metrics.text()` is what
   * `GET /metrics` serves, and `server.metrics.registry` is its prom-client registry.
   */
  readonly metrics?: Metrics;
  /** The URL of the metrics (e.g. `http://127.0.0.1:8000/metrics`), when the HTTP port serves them. */
  readonly metricsUrl?: string;
  /**
   * close stops accepting, lets calls in flight finish for up to `deadlineMs`
   * (defaults to 5000), then closes every connection.
   */
  close(deadlineMs?: number): Promise<void>;
}

function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * serve starts listeners for `service` and resolves once all are listening.
 * @throws Error when a port cannot be bound (everything already started is closed).
 */
export async function serve(service: Service | Registry, options: ServeOptions = {}): Promise<RpcServer> {
  const registry = 'procedures' in service ? service : createRegistry(service, options);
  const limits: Limits = { ...defaultLimits, ...options.limits };
  const host = options.host ?? '127.0.0.1';
  const tls = options.tls;
  const wanted = options.protocols;
  const active: Protocol[] = registered.filter((p) => wanted === undefined || wanted.includes(p.name));
  const listeners: Listener[] = [];
  const gate = createConnectionGate(limits);
  let explorer: string | undefined;
  let metricsUrl: string | undefined;
  // Loaded only when wanted: prom-client takes a while to load, and clients never need it.
  const metrics =
    (options.metrics ?? isLoopbackHost(host)) ? (await import('./metrics.js')).createMetrics() : undefined;
  const tracing = options.tracing ?? tracingInstalled();
  const instrument: Instrument | undefined =
    metrics === undefined && !tracing ? undefined : { observer: metrics?.observer, tracing };
  const closers: ((deadline: number) => Promise<void>)[] = [];
  const close = async (deadlineMs = 5000): Promise<void> => {
    await Promise.all(closers.map((c) => c(deadlineMs)));
  };

  try {
    const httpProtocols = active.filter((p) => p.http !== undefined || p.upgrade !== undefined);
    const httpPort = options.httpPort === undefined ? 8000 : options.httpPort;
    if (httpProtocols.length > 0 && httpPort !== null) {
      const withExplorer = explorerServed(options.explorer, host, httpProtocols);
      const server = createHttpServer(registry, httpProtocols, limits, {
        loopback: isLoopbackHost(host),
        allowedOrigins: options.allowedOrigins,
        tls,
        pages: withExplorer ? createExplorerSite({ secure: tls !== undefined }) : undefined,
        gate,
        instrument,
        metrics,
      });
      closers.push((deadline) => drainHttpServer(server, deadline));
      const port = await listen(server, httpPort, host);
      const origin = `//${hostForUrl(host)}:${port}`;
      const scheme = (s: string): string => (tls === undefined ? s : secureScheme(s));
      if (withExplorer) explorer = `${scheme('http:')}${origin}/`;
      if (metrics !== undefined) metricsUrl = `${scheme('http:')}${origin}${METRICS_PATH}`;
      for (const p of httpProtocols) {
        if (p.http !== undefined) {
          const where = `${origin}${p.http.paths[0]}`;
          listeners.push({
            protocol: p.name,
            url: `${scheme('http:')}${where}`,
            clientUrl: `${scheme(p.http.clientScheme)}${where}`,
          });
        }
        for (const s of p.upgrade?.clientSchemes ?? []) {
          const url = `${scheme(s)}${origin}${p.upgrade?.paths[0] ?? '/'}`;
          listeners.push({ protocol: p.name, url, clientUrl: url });
        }
      }
    }
    for (const p of active) {
      if (p.stream === undefined) continue;
      const configured = options.ports?.[p.name];
      if (configured === null) continue;
      const stream: StreamServer = createStreamServer(
        registry,
        p.stream.codec,
        limits,
        p.name,
        tls,
        gate,
        instrument,
      );
      closers.push((deadline) => stream.drain(deadline));
      const port = await listen(stream.server, configured ?? p.stream.defaultPort, host);
      // With TLS the listener shows its TLS scheme; else one line per framing it takes.
      const schemes =
        tls === undefined ? (p.stream.clientSchemes ?? p.schemes.slice(0, 1)) : [p.stream.tlsScheme];
      for (const scheme of schemes) {
        const url = `${scheme}//${hostForUrl(host)}:${port}`;
        listeners.push({ protocol: p.name, url, clientUrl: url });
      }
    }
  } catch (err) {
    await close(0);
    throw err;
  }
  return { registry, listeners, explorer, metrics, metricsUrl, close };
}
