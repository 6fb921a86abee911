/**
 * One POST and its answer, as an undici dispatch handler, for the shared HTTP client
 * (`http-client.ts`): the failure rule it documents is applied here.
 *
 * Exports: Exchange, ExchangeOwner.
 * @internal
 */
import type { Dispatcher } from 'undici';
import { connectError, TransportError } from './errors.js';

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** ExchangeOwner is what an exchange needs from its transport. */
export interface ExchangeOwner {
  readonly protocol: string;
  /** `host:port`, for error messages. */
  readonly where: string;
  readonly maxReply: number;
  closed: boolean;
  send(x: Exchange): void;
  answer(x: Exchange, status: number, body: Buffer): void;
  failed(x: Exchange, error: Error): void;
}

/**
 * Exchange is one POST and its answer, as the undici handler: a call allocates this
 * object and its body, no closures.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | undefined;
  done = false;
  resent = false;
  private status = 0;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly client: ExchangeOwner,
    /** The ids this POST answers (none for a notification). */
    readonly ids: readonly number[],
    readonly batch: boolean,
    readonly body: string | Uint8Array,
    readonly idempotent: boolean,
  ) {}

  /** abort stops the exchange on the wire (its calls already failed). */
  abort(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new TransportError('closed', 'http: call ended before it was sent'));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = status;
    const declared = Number(headers['content-length']);
    if (declared > this.client.maxReply)
      this.#fail(
        new TransportError(
          'limit',
          `${this.client.protocol}: reply of ${declared} bytes exceeds ${this.client.maxReply}`,
        ),
      );
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    this.size += chunk.length;
    if (this.size > this.client.maxReply)
      this.#fail(
        new TransportError('limit', `${this.client.protocol}: reply exceeds ${this.client.maxReply} bytes`),
      );
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.client.answer(this, this.status, body);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.done) return;
    const protocol = this.client.protocol;
    if (err instanceof TransportError) {
      this.#fail(err);
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // A refused connection, or a certificate that did not verify: the request was never sent.
    if (CONNECT_CODES.has(code) || /CERT|^UNABLE_TO_|SELF_SIGNED|^ERR_TLS_|^ERR_SSL_/.test(code)) {
      this.#fail(connectError(protocol, this.client.where, err));
      return;
    }
    // It may have reached the server: resent only when the caller said that is safe.
    if (this.status === 0 && this.idempotent && !this.resent && !this.client.closed) {
      this.resent = true;
      this.controller = undefined;
      this.chunks = [];
      this.size = 0;
      this.client.send(this);
      return;
    }
    const message = this.client.closed
      ? `${protocol}: client closed`
      : `${protocol}: connection failed before the answer was complete (${err.message}); the outcome is unknown`;
    this.#fail(new TransportError('closed', message, { cause: err }));
  }

  #fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort(error);
    this.client.failed(this, error);
  }
}
