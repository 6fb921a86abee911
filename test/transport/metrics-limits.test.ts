/**
 * `polyrpc_limit_rejections_total` (issue 17): each limit counted where it is
 * enforced — the codecs (batch, depth), the framers and the HTTP body check (size),
 * the WebSocket payload cap, the session (calls in flight) and node's request timeout.
 */
import { connect, type Socket } from 'node:net';
import { pack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDemoService } from '../../src/demo/service.js';
import type { Logger } from '../../src/rpc/registry.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { parsePrometheus, value } from '../support/prometheus.js';

const quiet: Logger = { debug() {}, error() {} };
let server: RpcServer;
afterAll(async () => {
  await server?.close(500);
});

const where = (prefix: string): URL => new URL(server.listeners.find((l) => l.url.startsWith(prefix))!.url);

/** raw opens a socket and resolves once it has received `until` bytes' worth of answer or closed. */
function raw(url: URL, send: (Uint8Array | string)[], until: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (until(Buffer.concat(chunks))) done();
    });
    socket.on('close', done);
    socket.on('error', () => {});
    socket.once('connect', () => {
      for (const s of send) socket.write(s);
    });
  });
}

const lines = (n: number) => (b: Buffer) => b.toString().split('\n').length > n;
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
const xmlArray = (depth: number): string =>
  depth === 0
    ? '<value><int>1</int></value>'
    : `<value><array><data>${xmlArray(depth - 1)}</data></array></value>`;
const call = (id: number, method: string, params: unknown[]) => ({ jsonrpc: '2.0', id, method, params });

function post(path: string, body: string, contentType = 'text/xml'): Promise<Response> {
  const http = where('http:');
  return fetch(`http://${http.host}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
}

describe('limit rejections', () => {
  it('are counted by protocol and limit', async () => {
    server = await serve(createDemoService(), {
      httpPort: 0,
      ports: { jsonrpc: 0, msgpack: 0 },
      logger: quiet,
      metrics: true,
      limits: { maxMessageBytes: 2048, maxDepth: 8, maxBatch: 4, maxInFlight: 2, requestTimeoutMs: 600 },
    });
    // JSON-RPC over TCP: a batch over 4, nesting over 8, three calls in one write
    // (reading pauses at 2 in flight), then a line over 2048 bytes.
    const tcp = where('tcp:');
    const batch = `${JSON.stringify(Array.from({ length: 5 }, (_, i) => call(i, 'add', [1, 2])))}\n`;
    const deep = `${JSON.stringify(call(9, 'echo', [nested(12)]))}\n`;
    const three = [1, 2, 3].map((i) => JSON.stringify(call(10 + i, 'add', [i, 1]))).join('\n');
    const answered = await raw(tcp, [batch, deep, `${three}\n`], lines(5));
    expect(answered.toString()).toContain('over the limit of 4');
    expect(answered.toString()).toContain('nested deeper than 8');
    await raw(tcp, ['x'.repeat(3000)], () => false);

    // msgpack: a length prefix over the limit; a frame nested over 8.
    const mp = where('msgpack:');
    const frame = (value: unknown): Buffer => {
      const body = pack(value);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(body.length);
      return Buffer.concat([prefix, body]);
    };
    await raw(mp, [frame([0, 1, 'echo', [nested(12)]])], (b) => b.length > 4);
    await raw(mp, [Buffer.from([0, 1, 0, 0])], () => false);

    // XML-RPC over HTTP: a body over the limit, a multicall over 4, arrays nested over 8.
    expect((await post('/RPC2', 'x'.repeat(3000))).status).toBe(413);
    const entry =
      '<value><struct><member><name>methodName</name><value>add</value></member></struct></value>';
    const multicall = `<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>${entry.repeat(5)}</data></array></value></param></params></methodCall>`;
    expect(await (await post('/RPC2', multicall)).text()).toContain('at most 4');
    const deepXml = `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param>${xmlArray(12)}</param></params></methodCall>`;
    expect(await (await post('/RPC2', deepXml)).text()).toContain('deeper than 8');
    // JSON-RPC over HTTP: a batch over 4.
    expect(await (await post('/jsonrpc', batch, 'application/json')).text()).toContain('over the limit of 4');

    // WebSocket: a message over the limit closes with 1009.
    const ws = new WebSocket(`ws://${where('ws:').host}/ws`);
    await new Promise((r) => ws.once('open', r));
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.send('y'.repeat(3000));
    expect(await code).toBe(1009);

    // node's request timeout: headers that never end.
    const http = where('http:');
    const timedOut = await raw(http, ['POST /RPC2 HTTP/1.1\r\nHost: x\r\n'], () => false);
    expect(timedOut.toString()).toMatch(/^HTTP\/1\.1 408/);

    const samples = await parsePrometheus(await server.metrics!.text());
    const rejected = (protocol: string, limit: string) =>
      value(samples, 'polyrpc_limit_rejections_total', { protocol, limit });
    expect(rejected('jsonrpc', 'batch')).toBe(1);
    expect(rejected('jsonrpc', 'too_deep')).toBe(1);
    expect(rejected('jsonrpc', 'in_flight')).toBe(1);
    expect(rejected('jsonrpc', 'too_large')).toBe(1);
    expect(rejected('msgpack', 'too_deep')).toBe(1);
    expect(rejected('msgpack', 'too_large')).toBe(1);
    expect(rejected('xmlrpc', 'too_large')).toBe(1);
    expect(rejected('xmlrpc', 'batch')).toBe(1);
    expect(rejected('xmlrpc', 'too_deep')).toBe(1);
    expect(rejected('jsonrpc+http', 'batch')).toBe(1);
    expect(rejected('websocket', 'too_large')).toBe(1);
    expect(rejected('http', 'timeout')).toBe(1);
    expect(samples.filter((s) => s.name === 'polyrpc_limit_rejections_total')).toHaveLength(12);
  });
});
