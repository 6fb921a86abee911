/**
 * Real sockets for the fault suite: a server on every protocol (port 0), and raw
 * byte-level peers that hand back exactly the bytes the server wrote, so a test can
 * check them with a strict UTF-8 decoder.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Logger } from '../../src/rpc/registry.js';
import type { Service } from '../../src/rpc/service.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

/** quiet is a logger that keeps expected errors out of the test output. */
export const quiet: Logger = { debug() {}, error() {} };

/** Served is a server on every protocol with its ports. */
export interface Served {
  readonly server: RpcServer;
  readonly http: number;
  readonly jsonrpc: number;
  readonly msgpack: number;
  /** Client URLs, by name: xmlrpc, jsonrpc+http, jsonrpc (TCP), msgpack. */
  readonly urls: Readonly<Record<'xmlrpc' | 'jsonrpc+http' | 'jsonrpc' | 'msgpack', string>>;
}

/** start serves `service` on 127.0.0.1 with every port 0. */
export async function start(service: Service): Promise<Served> {
  const server = await serve(service, { httpPort: 0, ports: { jsonrpc: 0, msgpack: 0 }, logger: quiet });
  const port = (protocol: string, http: boolean): number => {
    const l = server.listeners.find((x) => x.protocol === protocol && x.url.startsWith('http') === http)!;
    return Number(new URL(l.url).port);
  };
  const http = port('xmlrpc', true);
  const jsonrpc = port('jsonrpc', false);
  const msgpack = port('msgpack', false);
  return {
    server,
    http,
    jsonrpc,
    msgpack,
    urls: {
      xmlrpc: `http://127.0.0.1:${http}/RPC2`,
      'jsonrpc+http': `jsonrpc+http://127.0.0.1:${http}/jsonrpc`,
      jsonrpc: `tcp://127.0.0.1:${jsonrpc}`,
      msgpack: `msgpack://127.0.0.1:${msgpack}`,
    },
  };
}

/** RawPeer sends bytes and returns each message the server writes, as raw bytes. */
export interface RawPeer {
  readonly socket: Socket;
  send(bytes: string | Uint8Array): void;
  /** next resolves the next message (a line without its newline, or a frame body); rejects after `ms`. */
  next(ms?: number): Promise<Buffer>;
  close(): void;
}

async function rawPeer(
  port: number,
  split: (held: Buffer) => [Buffer, Buffer] | undefined,
): Promise<RawPeer> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  let held: Buffer = Buffer.alloc(0);
  const ready: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    held = Buffer.concat([held, chunk]);
    for (let cut = split(held); cut !== undefined; cut = split(held)) {
      held = cut[1];
      const w = waiters.shift();
      if (w) w(cut[0]);
      else ready.push(cut[0]);
    }
  });
  return {
    socket,
    send: (bytes) => socket.write(bytes),
    next: (ms = 3000) =>
      new Promise<Buffer>((resolve, reject) => {
        const r = ready.shift();
        if (r !== undefined) return resolve(r);
        const timer = setTimeout(() => reject(new Error(`nothing from the server within ${ms} ms`)), ms);
        waiters.push((b) => {
          clearTimeout(timer);
          resolve(b);
        });
      }),
    close: () => socket.destroy(),
  };
}

/** lines connects to a JSON-RPC TCP port; each message is one line of raw bytes. */
export function lines(port: number): Promise<RawPeer> {
  return rawPeer(port, (held) => {
    const nl = held.indexOf(0x0a);
    return nl === -1 ? undefined : [held.subarray(0, nl), held.subarray(nl + 1)];
  });
}

/** frames connects to a msgpack TCP port; each message is one frame body. */
export function frames(port: number): Promise<RawPeer> {
  return rawPeer(port, (held) => {
    if (held.length < 4) return undefined;
    const n = held.readUInt32BE(0);
    return held.length < 4 + n ? undefined : [held.subarray(4, 4 + n), held.subarray(4 + n)];
  });
}

/** post sends one HTTP POST and resolves the raw response body (rejects after 5 s). */
export function post(
  port: number,
  path: string,
  body: string | Uint8Array,
  type = 'text/xml',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': type }, timeout: 5000 },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(Buffer.concat(parts)));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** xmlCall renders a methodCall with string params (already escaped as XML text). */
export function xmlCall(method: string, ...params: string[]): string {
  const ps = params.map((p) => `<param><value><string>${p}</string></value></param>`).join('');
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${ps}</params></methodCall>`;
}
