/**
 * Tracing through `@opentelemetry/api`: a server span per call, continuing the
 * caller's W3C `traceparent`, and the `traceparent` a client sends from its active
 * span. The API is a no-op until the application installs an SDK; polyrpc checks for
 * one once, when a server or client is made, and creates no span at all without one.
 *
 * Where `traceparent` travels (docs/operations.md): the HTTP header of that name for
 * the HTTP protocols; on a connection (JSON-RPC over TCP, msgpack, WebSocket) a
 * notification `rpc.trace [traceparent]` sent just before the call it applies to.
 *
 * Exports: tracingInstalled, startCallSpan, CallSpan, parseTraceparent, activeTraceparent.
 * @internal
 */
import { createRequire } from 'node:module';
import type { Span, SpanContext } from '@opentelemetry/api';
import type { Peer } from '../rpc/context.js';

type Api = typeof import('@opentelemetry/api');

const TRACER = 'polyrpc';

// The API's registry of what an SDK installed (`Symbol.for('opentelemetry.js.api.1')`
// on globalThis, shared by every copy of the API package).
const REGISTRY = Symbol.for('opentelemetry.js.api.1');

// The API is loaded on first use: a process with no SDK (the CLI's `call`, most
// clients) never pays for loading it. Every copy of the package shares the registry
// above, so this one sees the application's SDK.
let api: Api | undefined;
function otel(): Api {
  api ??= createRequire(import.meta.url)('@opentelemetry/api') as Api;
  return api;
}

/**
 * tracingInstalled tells whether an OpenTelemetry tracer provider has been registered
 * (an SDK: `NodeSDK.start()`, `provider.register()`, `trace.setGlobalTracerProvider`).
 * Without one every span would be a no-op, so none is made.
 */
export function tracingInstalled(): boolean {
  const registry = (globalThis as { [REGISTRY]?: { trace?: unknown } })[REGISTRY];
  return registry?.trace !== undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * parseTraceparent reads a W3C `traceparent` value (`00-<trace id>-<parent id>-<flags>`)
 * into a remote span context; undefined when it is malformed, all-zero or of version
 * `ff`.
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const sc: SpanContext = {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: Number.parseInt(m[4]!, 16) & 1,
    isRemote: true,
  };
  return otel().isSpanContextValid(sc) ? sc : undefined;
}

/** activeTraceparent formats the active span's context as a `traceparent`, when there is a valid one. */
export function activeTraceparent(): string | undefined {
  const { context, isSpanContextValid, trace } = otel();
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** CallSpan is the server span of one call. */
export interface CallSpan {
  /** run calls `fn` with the span active, so the handler's own spans are its children. */
  run<T>(fn: () => T): T;
  /** end records the outcome (an error's code and message) and ends the span. */
  end(error?: { readonly code: number; readonly message: string }): void;
}

/**
 * startCallSpan starts a SERVER span named `method` (already a registry name or
 * `(unknown)`), child of `traceparent` when it is valid, else of the active context.
 * Attributes: `rpc.system` (the protocol label), `rpc.method`, `network.peer.address`
 * and `network.peer.port`, and `rpc.error_code` when the call fails.
 */
export function startCallSpan(
  method: string,
  protocol: string,
  peer: Peer | undefined,
  traceparent: string | undefined,
): CallSpan {
  const { context, SpanKind, SpanStatusCode, trace } = otel();
  const remote = traceparent === undefined ? undefined : parseTraceparent(traceparent);
  const parent = remote === undefined ? context.active() : trace.setSpanContext(context.active(), remote);
  const span: Span = trace.getTracer(TRACER).startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes:
        peer === undefined
          ? { 'rpc.system': protocol, 'rpc.method': method }
          : {
              'rpc.system': protocol,
              'rpc.method': method,
              'network.peer.address': peer.address,
              'network.peer.port': peer.port,
            },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  return {
    run: (fn) => context.with(active, fn),
    end(error) {
      if (error !== undefined) {
        span.setAttribute('rpc.error_code', error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end();
    },
  };
}
