/**
 * Conformance, client failures: on every endpoint, a timeout, an abort, a close with
 * calls in flight and a refused connection are TransportErrors with the right
 * reason, and a client that timed out or had a call aborted keeps working.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, TransportError } from '../../src/index.js';
import type { Client } from '../../src/sdk/types.js';
import { type ConformanceService, endpointsOf, rejection, startServer } from './endpoints.js';

const { server } = await startServer();
const endpoints = endpointsOf(server);
const clients: Client<ConformanceService>[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$close()));
  await server.close(1000);
});

const connect = (url: string): Client<ConformanceService> => {
  const rpc = createClient<ConformanceService>(url, { timeout: 5000 });
  clients.push(rpc);
  return rpc;
};

const reasonOf = async (p: PromiseLike<unknown>): Promise<string> => {
  const err = await rejection(p);
  if (!(err instanceof TransportError)) throw new Error(`expected a TransportError, got ${String(err)}`);
  return err.reason;
};

/** A port nothing listens on: bound once, then closed. */
const closedPort = async (): Promise<number> => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
};

describe.each(endpoints)('conformance: client failures on $name', (ep) => {
  it('times out a slow call, and the client keeps working', async () => {
    const rpc = connect(ep.url);
    const started = performance.now();
    expect(await reasonOf(rpc.$with({ timeout: 100 }).slow(3000))).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await rpc.add(1, 2)).toBe(3);
    expect(await rpc.$with({ timeout: 2000 }).slow(10)).toBe('done');
  });

  it('the client-wide timeout applies when the call sets none', async () => {
    const rpc = createClient<ConformanceService>(ep.url, { timeout: 100 });
    clients.push(rpc);
    expect(await reasonOf(rpc.slow(3000))).toBe('timeout');
  });

  it('aborts a call through its AbortSignal, and the client keeps working', async () => {
    const rpc = connect(ep.url);
    const controller = new AbortController();
    const call = rpc.$with({ signal: controller.signal }).slow(3000);
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    expect(await reasonOf(call)).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await reasonOf(rpc.$with({ signal: AbortSignal.abort() }).add(1, 1))).toBe('aborted');
    expect(await rpc.add(2, 3)).toBe(5);
  });

  it('$close() rejects the calls in flight, and every call after it', async () => {
    const rpc = createClient<ConformanceService>(ep.url, { timeout: 5000 });
    expect(await rpc.add(0, 0)).toBe(0); // connected
    const inFlight = [rpc.slow(3000), rpc.slow(3000), rpc.slow(3000)].map((c) => reasonOf(c));
    await new Promise((r) => setTimeout(r, 50)); // on the wire
    const started = performance.now();
    await rpc.$close();
    expect(await Promise.all(inFlight)).toEqual(['closed', 'closed', 'closed']);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await reasonOf(rpc.add(1, 1))).toBe('closed');
  });

  it('a refused connection is a connect TransportError', async () => {
    const url = new URL(ep.url);
    url.port = String(await closedPort());
    const rpc = createClient<ConformanceService>(url.href, { timeout: 3000 });
    try {
      expect(await reasonOf(rpc.add(1, 1))).toBe('connect');
    } finally {
      await rpc.$close();
    }
  });
});
