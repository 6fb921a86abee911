/**
 * A TCP proxy that breaks connections on purpose: each connection through it is cut
 * (both sides destroyed) or frozen (nothing forwarded any more, nothing closed: a
 * half-open peer) at a random moment. Listens on 127.0.0.1, port 0. Every timer is
 * cleared on close.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** ChaosOptions say when and how each connection breaks. */
export interface ChaosOptions {
  /** The port to forward to, on 127.0.0.1. */
  readonly target: number;
  /** `cut` destroys both sides; `freeze` stops forwarding and closes nothing. Defaults to cut. */
  readonly mode?: 'cut' | 'freeze' | 'none';
  /** Each connection breaks after a random time in [minMs, maxMs]. Defaults to 50..300. */
  readonly minMs?: number;
  readonly maxMs?: number;
}

/** ChaosProxy is a running proxy. */
export interface ChaosProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections broken so far (cut or frozen). */
  readonly broken: number;
  /** cutAll destroys every open connection now. */
  cutAll(): void;
  /** refuse stops listening (connections are refused: an outage) until `refuse(false)` listens again. */
  refuse(on: boolean): Promise<void>;
  /** setMode changes how later connections break. */
  setMode(mode: 'cut' | 'freeze' | 'none'): void;
  close(): Promise<void>;
}

/** startChaosProxy starts a proxy in front of `options.target`. */
export async function startChaosProxy(options: ChaosOptions): Promise<ChaosProxy> {
  const min = options.minMs ?? 50;
  const max = options.maxMs ?? 300;
  let mode = options.mode ?? 'cut';
  let accepted = 0;
  let broken = 0;
  const pairs = new Set<[Socket, Socket]>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect({ host: '127.0.0.1', port: options.target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (mode === 'none') return;
    const how = mode;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        broken++;
        if (how === 'cut') {
          end();
          return;
        }
        // Frozen: stop forwarding both ways and read nothing more; keep both sockets open.
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      },
      min + Math.random() * (max - min),
    );
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: ChaosProxy = {
    port,
    get accepted() {
      return accepted;
    },
    get broken() {
      return broken;
    },
    cutAll() {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
    },
    async refuse(on) {
      if (on) await new Promise<void>((resolve) => server.close(() => resolve()));
      else await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    setMode(m) {
      mode = m;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      proxy.cutAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
