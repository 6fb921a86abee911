/**
 * Prometheus metrics (issue 17), scraped over HTTP and read with Python's
 * prometheus_client parser: exact call counts on every protocol, one label value for
 * any number of unknown method names, connections back to zero, subscriptions and
 * pushes, and limit rejections where each limit is enforced.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import type { Logger } from '../../src/rpc/registry.js';
import { protocolFor } from '../../src/transport/index.js';
import { type RpcServer, type ServeOptions, serve } from '../../src/transport/serve.js';
import type { ClientTransport } from '../../src/transport/types.js';
import { makeCerts } from '../support/certs.js';
import { parsePrometheus, type Sample, value } from '../support/prometheus.js';

const quiet: Logger = { debug() {}, error() {} };
const servers: RpcServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close(500)));
});

async function start(options: ServeOptions = {}): Promise<RpcServer> {
  const server = await serve(createDemoService(), {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    logger: quiet,
    metrics: true,
    ...options,
  });
  servers.push(server);
  return server;
}

function client(server: RpcServer, clientUrl: string): ClientTransport {
  const url = new URL(server.listeners.find((l) => l.clientUrl.startsWith(clientUrl))!.clientUrl);
  return protocolFor(url)!.createTransport(url, { reconnect: false });
}

async function scrape(server: RpcServer): Promise<Sample[]> {
  const res = await fetch(server.metricsUrl!);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(await res.text());
}

// Polls the scrape until `done` holds, for up to 5 s (connection closes land a turn later).
async function scrapeUntil(server: RpcServer, done: (s: Sample[]) => boolean): Promise<Sample[]> {
  const until = Date.now() + 5000;
  for (;;) {
    const samples = await scrape(server);
    if (done(samples) || Date.now() > until) return samples;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('metrics', () => {
  it('counts every call on every protocol exactly, and open connections return to 0', async () => {
    const server = await start();
    // [client URL prefix, protocol label, successful calls]
    const plan = [
      ['http:', 'xmlrpc', 2],
      ['jsonrpc+http:', 'jsonrpc+http', 3],
      ['tcp:', 'jsonrpc', 4],
      ['msgpack:', 'msgpack', 5],
      ['ws:', 'websocket', 6],
      ['msgpack+ws:', 'websocket', 7],
    ] as const;
    for (const [prefix, , n] of plan) {
      const t = client(server, prefix);
      for (let i = 0; i < n; i++)
        await expect(t.call({ method: 'add', params: [i, 1] })).resolves.toBe(i + 1);
      await expect(t.call({ method: 'no.such', params: [] })).rejects.toMatchObject({ code: -32601 });
      await expect(t.call({ method: 'add', params: ['x', 1] })).rejects.toMatchObject({ code: -32602 });
      await t.close();
    }
    // The scrape's own keep-alive connection is the one open `http` connection.
    const drained = (x: Sample): boolean => x.value === (x.labels.protocol === 'http' ? 1 : 0);
    const samples = await scrapeUntil(server, (s) =>
      s.filter((x) => x.name === 'polyrpc_open_connections').every(drained),
    );
    const expected: Record<string, number> = {
      xmlrpc: 2,
      'jsonrpc+http': 3,
      jsonrpc: 4,
      msgpack: 5,
      websocket: 13,
    };
    const clients: Record<string, number> = {
      xmlrpc: 1,
      'jsonrpc+http': 1,
      jsonrpc: 1,
      msgpack: 1,
      websocket: 2,
    };
    for (const [protocol, n] of Object.entries(expected)) {
      expect(value(samples, 'polyrpc_calls_total', { protocol, method: 'add', code: '0' })).toBe(n);
      expect(value(samples, 'polyrpc_calls_total', { protocol, method: 'add', code: '-32602' })).toBe(
        clients[protocol],
      );
      expect(value(samples, 'polyrpc_calls_total', { protocol, method: '(unknown)', code: '-32601' })).toBe(
        clients[protocol],
      );
      expect(value(samples, 'polyrpc_call_duration_seconds_count', { protocol, method: 'add' })).toBe(
        n + clients[protocol]!,
      );
      expect(
        value(samples, 'polyrpc_call_duration_seconds_bucket', { protocol, method: 'add', le: '+Inf' }),
      ).toBe(n + clients[protocol]!);
      expect(value(samples, 'polyrpc_bytes_received_total', { protocol })).toBeGreaterThan(0);
      expect(value(samples, 'polyrpc_bytes_sent_total', { protocol })).toBeGreaterThan(0);
    }
    for (const protocol of ['jsonrpc', 'msgpack', 'websocket'])
      expect(value(samples, 'polyrpc_connections_total', { protocol })).toBe(clients[protocol]);
    expect(value(samples, 'polyrpc_connections_total', { protocol: 'http' })).toBeGreaterThanOrEqual(1);
    const open = samples.filter((s) => s.name === 'polyrpc_open_connections');
    expect(open.map((s) => s.labels.protocol).sort()).toEqual(['http', 'jsonrpc', 'msgpack', 'websocket']);
    for (const s of open) expect(drained(s)).toBe(true);
    // The metrics text is also there without HTTP.
    expect(await server.metrics!.text()).toContain(
      'polyrpc_calls_total{protocol="msgpack",method="add",code="0"} 5',
    );
  });

  it('counts 10,000 calls to random unknown names under one label value', async () => {
    const server = await start({ protocols: ['msgpack', 'jsonrpc'] });
    const t = client(server, 'msgpack:');
    const total = 10_000;
    for (let sent = 0; sent < total; sent += 100) {
      const calls = Array.from({ length: 100 }, () =>
        t
          .call({ method: `m${Math.random().toString(36).slice(2)}`, params: [] })
          .catch((e: { code: number }) => e.code),
      );
      expect(new Set(await Promise.all(calls))).toEqual(new Set([-32601]));
    }
    await t.close();
    const samples = await scrape(server);
    const calls = samples.filter((s) => s.name === 'polyrpc_calls_total');
    expect(calls).toEqual([
      {
        name: 'polyrpc_calls_total',
        labels: { protocol: 'msgpack', method: '(unknown)', code: '-32601' },
        value: total,
        type: 'counter',
      },
    ]);
    const series = new Set(
      samples.filter((s) => s.name.startsWith('polyrpc_call_duration')).map((s) => s.labels.method),
    );
    expect(series).toEqual(new Set(['(unknown)']));
  });

  it('counts subscriptions, their events, and their end', async () => {
    const server = await start({ protocols: ['msgpack', 'jsonrpc'] });
    const t = client(server, 'msgpack:');
    const sub = t.subscribe!({ method: 'chat.subscribe', params: ['metrics'] });
    await sub.ready;
    let samples = await scrape(server);
    expect(value(samples, 'polyrpc_subscriptions', { method: 'chat.subscribe' })).toBe(1);
    for (let i = 0; i < 3; i++)
      await t.call({ method: 'chat.send', params: ['metrics', 'ann', `hello ${i}`] });
    for (let i = 0; i < 3; i++) await sub.next();
    samples = await scrape(server);
    expect(value(samples, 'polyrpc_push_events_total', { method: 'chat.subscribe' })).toBe(3);
    await sub.close();
    samples = await scrapeUntil(
      server,
      (s) => value(s, 'polyrpc_subscriptions', { method: 'chat.subscribe' }) === 0,
    );
    expect(value(samples, 'polyrpc_subscriptions', { method: 'chat.subscribe' })).toBe(0);
    expect(
      value(samples, 'polyrpc_calls_total', { protocol: 'msgpack', method: 'rpc.unsubscribe', code: '0' }),
    ).toBe(1);
    await t.close();
  });

  it('counts TLS connections once, an upgraded one as websocket only', async () => {
    const certs = makeCerts();
    try {
      const server = await start({ tls: { cert: certs.serverCert, key: certs.serverKey } });
      for (const prefix of ['https:', 'wss:', 'msgpack+tls:']) {
        const url = new URL(server.listeners.find((l) => l.clientUrl.startsWith(prefix))!.clientUrl);
        const t = protocolFor(url)!.createTransport(url, { reconnect: false, tls: { ca: certs.ca } });
        await expect(t.call({ method: 'add', params: [1, 2] })).resolves.toBe(3);
        await t.close();
      }
      let samples: Sample[] = [];
      for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        samples = await parsePrometheus(await server.metrics!.text());
        if (samples.filter((x) => x.name === 'polyrpc_open_connections').every((x) => x.value === 0)) break;
      }
      const open = samples.filter((x) => x.name === 'polyrpc_open_connections');
      expect(Object.fromEntries(open.map((x) => [x.labels.protocol, x.value]))).toEqual({
        http: 0,
        websocket: 0,
        msgpack: 0,
      });
      expect(value(samples, 'polyrpc_connections_total', { protocol: 'websocket' })).toBe(1);
      expect(value(samples, 'polyrpc_calls_total', { protocol: 'xmlrpc', method: 'add', code: '0' })).toBe(1);
    } finally {
      certs.remove();
    }
  });

  it('is off when asked, and answers only GET and HEAD', async () => {
    const off = await start({ metrics: false });
    expect(off.metrics).toBeUndefined();
    expect(off.metricsUrl).toBeUndefined();
    const base = off.listeners.find((l) => l.protocol === 'xmlrpc')!.url.replace('/RPC2', '');
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const on = await start();
    expect((await fetch(on.metricsUrl!, { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await fetch(on.metricsUrl!, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
