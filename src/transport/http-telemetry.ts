/**
 * What the shared HTTP server reports when it is instrumented (observer.ts): its
 * connections (`protocol="http"`, handed over to `websocket` on an upgrade), each
 * body's calls, bytes and limit refusals, and request timeouts and oversized headers,
 * which node answers before any handler runs.
 *
 * Exports: HttpTelemetry, MetricsSource, httpLabel.
 * @internal
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from '../rpc/registry.js';
import { type Instrument, limitOfReply, observeDispatch } from './observer.js';
import type { RespondHooks } from './respond.js';
import type { FrameBytes, Protocol } from './types.js';

/** MetricsSource is what `GET /metrics` serves: a text exposition and its content type. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

/** The label of HTTP connections, before any protocol is known. */
const HTTP = 'http';

/**
 * httpLabel is the protocol label of calls over a protocol's HTTP binding: its name,
 * or `<name>+http` when the protocol also has its own TCP listener (JSON-RPC), so the
 * two stay apart.
 */
export function httpLabel(p: Protocol): string {
  return p.stream === undefined ? p.name : `${p.name}+http`;
}

// node's own answers when no 'clientError' listener exists (lib/_http_server.js).
const ANSWERS: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

/** HttpTelemetry is one HTTP server's reporting. */
export class HttpTelemetry {
  readonly #upgraded = new WeakSet<Socket>();

  constructor(
    readonly instrument: Instrument,
    readonly registry: Registry,
  ) {}

  /**
   * watch counts the server's connections and the requests node refuses on its own.
   * Over TLS a connection counts once its handshake is done: the TLS socket is the one
   * an upgrade hands over.
   */
  watch(server: http.Server, secure: boolean): void {
    const observer = this.instrument.observer;
    if (observer === undefined) return;
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
      observer.connectionOpened(HTTP);
      socket.once('close', () => {
        if (!this.#upgraded.has(socket)) observer.connectionClosed(HTTP);
      });
    });
    // With a listener node leaves the answer to us: give the one it would have given.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') observer.limitRejected(HTTP, 'timeout');
      else if (err.code === 'HPE_HEADER_OVERFLOW') observer.limitRejected(HTTP, 'too_large');
      if (socket.writable && socket.bytesWritten === 0)
        socket.write((err.code !== undefined && ANSWERS[err.code]) || BAD_REQUEST);
      socket.destroy(err);
    });
  }

  /** upgraded hands a connection over from `http` to the upgrade's own count. */
  upgraded(socket: Socket): void {
    if (this.instrument.observer === undefined || this.#upgraded.has(socket)) return;
    this.#upgraded.add(socket);
    this.instrument.observer.connectionClosed(HTTP);
  }

  /** tooLarge counts a body refused for its size. */
  tooLarge(label: string): void {
    this.instrument.observer?.limitRejected(label, 'too_large');
  }

  /** hooks reports one body's calls, continuing the request's `traceparent` header. */
  hooks(label: string, traceparent: string | string[] | undefined): RespondHooks {
    const { instrument, registry } = this;
    const parent = typeof traceparent === 'string' ? traceparent : undefined;
    return {
      dispatch: (call, ctx) => observeDispatch(instrument, label, registry, call, ctx, parent),
      refused(reply) {
        const limit = limitOfReply(reply);
        if (limit !== undefined) instrument.observer?.limitRejected(label, limit);
      },
    };
  }

  /** bytes counts a body and its answer. */
  bytes(label: string, body: Uint8Array, answer: string | FrameBytes | null): void {
    const observer = this.instrument.observer;
    if (observer === undefined) return;
    let sent = 0;
    if (typeof answer === 'string') sent = Buffer.byteLength(answer);
    else if (answer instanceof Uint8Array) sent = answer.byteLength;
    else if (answer !== null) for (const part of answer) sent += part.byteLength;
    observer.bytes(label, body.byteLength, sent);
  }
}
