/**
 * Shared pieces of the conformance suite: the service every endpoint serves, the
 * list of endpoints (built from what `serve()` opened and the registered protocol
 * list, never from hard-coded names or ports), and what each endpoint can do
 * (detected from its client transport where the transport says so).
 */
import { z } from 'zod';
import { type Broker, createDemoService, createMemoryBroker } from '../../src/demo/index.js';
import {
  type ClientTransport,
  createClient,
  defineService,
  type Limits,
  type Logger,
  param,
  procedure,
  protocols,
  RpcError,
  type RpcServer,
  serve,
  subscription,
} from '../../src/index.js';

export const quiet: Logger = { debug() {}, error() {} };

/** Small limits, so the hostile-input cases are cheap to send. */
export const LIMITS: Partial<Limits> = { maxMessageBytes: 256 * 1024, maxDepth: 32 };

/** Counts broker subscribers: made (the handler ran) and released (its signal aborted). */
export interface BrokerStats {
  subscribed: number;
  released: number;
  /** The same counts per room. */
  readonly rooms: Map<string, { subscribed: number; released: number }>;
}

/** liveIn is the number of subscribers the server holds for a room. */
export function liveIn(stats: BrokerStats, room: string): number {
  const r = stats.rooms.get(room);
  return r === undefined ? 0 : r.subscribed - r.released;
}

function countingBroker(stats: BrokerStats): Broker {
  const inner = createMemoryBroker();
  return {
    publish: (m) => inner.publish(m),
    history: (room, afterId, limit) => inner.history(room, afterId, limit),
    subscribe(room, options) {
      const mine = stats.rooms.get(room) ?? { subscribed: 0, released: 0 };
      stats.rooms.set(room, mine);
      stats.subscribed++;
      mine.subscribed++;
      options?.signal?.addEventListener(
        'abort',
        () => {
          stats.released++;
          mine.released++;
        },
        { once: true },
      );
      return inner.subscribe(room, options);
    },
  };
}

/** createConformanceService is the demo service, counted, plus a slow procedure and a counter stream. */
export function createConformanceService(stats: BrokerStats) {
  return defineService({
    ...createDemoService(countingBroker(stats)).tree,
    slow: procedure({
      doc: 'slow(ms) answers "done" after ms milliseconds (at most 5000), or when the connection ends.',
      params: [param('ms', z.number().int().min(0).max(5000))],
      result: z.string(),
      handler: ({ ms }, ctx) =>
        new Promise<string>((resolve) => {
          const timer = setTimeout(() => resolve('done'), ms);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve('aborted');
          });
        }),
    }),
    count: subscription({
      doc: 'count(n) pushes 0..n-1, then ends.',
      params: [param('n', z.number().int().min(0).max(10_000))],
      event: z.number().int(),
      handler: async function* ({ n }) {
        for (let i = 0; i < n; i++) yield i;
      },
    }),
  });
}

export type ConformanceService = ReturnType<typeof createConformanceService>;

/** startServer serves the conformance service on every registered protocol, on port 0. */
export async function startServer(): Promise<{ server: RpcServer; stats: BrokerStats }> {
  const stats: BrokerStats = { subscribed: 0, released: 0, rooms: new Map() };
  const ports = Object.fromEntries(protocols.filter((p) => p.stream !== undefined).map((p) => [p.name, 0]));
  const server = await serve(createConformanceService(stats), {
    httpPort: 0,
    ports,
    logger: quiet,
    limits: LIMITS,
  });
  return { server, stats };
}

/** How one protocol carries the values that are not plain JSON. */
interface ValueTraits {
  /** Binary comes back as bytes. */
  readonly binary: boolean;
  /** A Date comes back as a Date ('date') or as its ISO string ('iso'). */
  readonly dates: 'date' | 'iso';
}

/**
 * VALUE_TRAITS is the one table keyed by protocol name: which value kinds its wire
 * has (no transport can tell). A protocol not listed is tested with plain JSON values.
 */
const VALUE_TRAITS: Readonly<Record<string, ValueTraits>> = {
  xmlrpc: { binary: true, dates: 'date' },
  jsonrpc: { binary: false, dates: 'iso' },
  msgpack: { binary: true, dates: 'date' },
  // One protocol, two wires: keyed by `protocol carrier` where the carrier decides.
  'websocket ws': { binary: false, dates: 'iso' },
  'websocket msgpack+ws': { binary: true, dates: 'date' },
};

/** Endpoint is one listener, with what its client can do. */
export interface Endpoint {
  /** A stable label: protocol and client URL scheme, e.g. `jsonrpc over tcp`. */
  readonly name: string;
  readonly protocol: string;
  readonly url: string;
  /**
   * `http` for POST on the shared HTTP server, `tcp` for a protocol's own listener, an
   * upgrade's client scheme (`ws`, `msgpack+ws`) for a WebSocket on the HTTP server, or
   * the client scheme of another framing its own listener takes (`msgpack+bare`).
   */
  readonly carrier: string;
  readonly port: number;
  readonly push: boolean;
  readonly batch: boolean;
  readonly notify: boolean;
  readonly traits: ValueTraits;
}

/** capabilities asks a client transport for this URL what it offers. */
function capabilities(url: string): { push: boolean; batch: boolean; notify: boolean } {
  const transport: ClientTransport = createClient<unknown>(url).$transport;
  const found = {
    push: typeof transport.subscribe === 'function',
    batch: typeof transport.batch === 'function',
    notify: typeof transport.notify === 'function',
  };
  void transport.close();
  return found;
}

/** endpointsOf lists every listener of `server` as an {@link Endpoint}. */
export function endpointsOf(server: RpcServer): Endpoint[] {
  return server.listeners.map((l) => {
    const client = new URL(l.clientUrl);
    const scheme = client.protocol.slice(0, -1);
    const protocol = protocols.find((p) => p.name === l.protocol);
    const carrier = l.url.startsWith('http')
      ? 'http'
      : protocol?.upgrade?.clientSchemes.includes(client.protocol) ||
          protocol?.stream?.clientSchemes?.slice(1).includes(client.protocol)
        ? scheme
        : 'tcp';
    return {
      name: `${l.protocol} over ${scheme}`,
      protocol: l.protocol,
      url: l.clientUrl,
      carrier,
      port: Number(new URL(l.url).port),
      ...capabilities(l.clientUrl),
      traits: VALUE_TRAITS[`${l.protocol} ${carrier}`] ??
        VALUE_TRAITS[l.protocol] ?? { binary: false, dates: 'iso' },
    };
  });
}

/** failure resolves the RpcError a call rejects with; anything else fails the test. */
export async function failure(p: PromiseLike<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected an RpcError');
}

/** rejection resolves whatever a promise rejects with. */
export async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
