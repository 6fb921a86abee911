/**
 * Tracing (issue 17) with a real OpenTelemetry SDK registered in this test
 * (BasicTracerProvider, InMemorySpanExporter, the AsyncLocalStorage context manager):
 * the server's span per call continues the client's trace over HTTP (the
 * `traceparent` header) and over connections (the `rpc.trace` notification), carries
 * the protocol, peer and error code, and is named only by registry names.
 */
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import type { Logger } from '../../src/rpc/registry.js';
import { protocolFor } from '../../src/transport/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { parseTraceparent } from '../../src/transport/tracing.js';

const quiet: Logger = { debug() {}, error() {} };
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let server: RpcServer;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  // Made after the SDK is installed, as an application would: tracing is on by default.
  server = await serve(createDemoService(), {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    logger: quiet,
    metrics: false,
  });
});
afterAll(async () => {
  await server?.close(500);
  trace.disable();
  context.disable();
  await provider.shutdown();
});

/** callInSpan makes one call inside an active client span and returns both spans. */
async function callInSpan(clientUrl: string, method: string, params: unknown[]) {
  const url = new URL(server.listeners.find((l) => l.clientUrl.startsWith(clientUrl))!.clientUrl);
  const transport = protocolFor(url)!.createTransport(url, { reconnect: false });
  exporter.reset();
  const tracer = trace.getTracer('test');
  let outcome: unknown;
  const client = await tracer.startActiveSpan('client operation', async (span: Span) => {
    outcome = await transport.call({ method, params }).catch((e: unknown) => e);
    span.end();
    return span;
  });
  await transport.close();
  const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  expect(servers).toHaveLength(1);
  return { client: client.spanContext(), server: servers[0] as ReadableSpan, outcome };
}

describe('tracing', () => {
  for (const [clientUrl, protocol] of [
    ['jsonrpc+http:', 'jsonrpc+http'],
    ['http:', 'xmlrpc'],
    ['tcp:', 'jsonrpc'],
    ['msgpack:', 'msgpack'],
    ['ws:', 'websocket'],
  ] as const) {
    it(`continues the caller's trace over ${protocol}`, async () => {
      const { client, server: span, outcome } = await callInSpan(clientUrl, 'add', [2, 3]);
      expect(outcome).toBe(5);
      expect(span.name).toBe('add');
      expect(span.spanContext().traceId).toBe(client.traceId);
      expect(span.parentSpanContext?.spanId).toBe(client.spanId);
      expect(span.attributes['rpc.system']).toBe(protocol);
      expect(span.attributes['rpc.method']).toBe('add');
      expect(span.attributes['network.peer.address']).toBe('127.0.0.1');
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    });
  }

  it('records the error code, and names an unknown method (unknown)', async () => {
    const { client, server: span, outcome } = await callInSpan('msgpack:', 'no.such.method', []);
    expect(outcome).toMatchObject({ code: -32601 });
    expect(span.name).toBe('(unknown)');
    expect(span.spanContext().traceId).toBe(client.traceId);
    expect(span.attributes['rpc.error_code']).toBe(-32601);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('starts a new trace when the caller has none', async () => {
    const url = new URL(server.listeners.find((l) => l.clientUrl.startsWith('tcp:'))!.clientUrl);
    const transport = protocolFor(url)!.createTransport(url, { reconnect: false });
    exporter.reset();
    expect(await transport.call({ method: 'add', params: [1, 1] })).toBe(2);
    await transport.close();
    const [span] = exporter.getFinishedSpans();
    expect(span?.parentSpanContext).toBeUndefined();
  });

  it('reads only well-formed traceparent values', () => {
    const good = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseTraceparent(good)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    for (const bad of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'nonsense',
      42,
    ])
      expect(parseTraceparent(bad)).toBeUndefined();
  });
});
