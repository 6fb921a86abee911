/**
 * Client-side failures that are not remote errors. With {@link RpcError} (a remote
 * fault) these keep the three kinds of failure apart, as CPython's xmlrpc.client
 * keeps Fault, ProtocolError and ResponseError apart.
 */

/** TransportErrorReason says why a call never got a reply. */
export type TransportErrorReason = 'connect' | 'closed' | 'timeout' | 'aborted' | 'http' | 'limit';

/** TransportError is a failure to deliver a call or receive its reply. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** Why it failed. */
  readonly reason: TransportErrorReason;
  /** For `http`, the HTTP status. */
  readonly status?: number;

  constructor(reason: TransportErrorReason, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.status = options?.status;
  }
}

/** ResponseError is a reply that arrived but could not be understood. */
export class ResponseError extends Error {
  override readonly name = 'ResponseError';
}

/**
 * connectError is the one wording of "could not connect" for every client:
 * `<protocol>: cannot connect to <host:port>: <reason>`.
 * @internal
 */
export function connectError(protocol: string, where: string, cause: unknown): TransportError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TransportError('connect', `${protocol}: cannot connect to ${where}: ${reason}`, { cause });
}
