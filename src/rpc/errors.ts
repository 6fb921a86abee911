/**
 * The one error model shared by every protocol: {@link RpcError} with an integer code.
 *
 * The reserved codes are the JSON-RPC 2.0 numbers, which the XML-RPC fault-interop
 * convention uses as well, so one table serves all three wires.
 */

/** Code lists the protocol-level error codes. Application errors use their own integers. */
export const Code = {
  /** The bytes could not be parsed (invalid JSON, XML or MessagePack). */
  ParseError: -32700,
  /** The message parsed but is not a valid request. */
  InvalidRequest: -32600,
  /** No procedure is registered under that name. */
  MethodNotFound: -32601,
  /** The arguments do not match the procedure's parameters; `data` holds the issues. */
  InvalidParams: -32602,
  /** The server failed; the cause stays in the server log. */
  Internal: -32603,
  /** A server limit was reached (too many subscriptions, a batch too large). */
  LimitExceeded: -32000,
  /** The procedure exists but cannot run over this transport (a subscription over HTTP). */
  Unsupported: -32001,
  /**
   * Events of a subscription were lost and cannot be replayed: the server no longer
   * has events that old (trimmed history, a restarted server), the subscriber fell
   * too far behind (`data.reason` is `overflow`: the client resumes from its last id
   * by itself), or the subscription cannot resume at all (its events have no ids).
   */
  EventsLost: -32002,
  /**
   * The server received the call but did not run it, because it is shutting down (it
   * sent `rpc.goaway`): safe to send again, to any procedure, on another connection.
   * The message client does so by itself (`retryNotExecuted`); `data.reason` is the
   * goaway's reason (e.g. `shutdown`).
   */
  NotExecuted: -32003,
  /**
   * A backing service the procedure needs is unavailable (the chat's Redis is down or
   * unreachable): the call did not run; try again later. Other procedures still work.
   */
  Unavailable: -32004,
  /**
   * The caller is not authenticated: it sent no credential, or a wrong one. Over HTTP
   * this is status 401 with `WWW-Authenticate`; on a connection, a reply to
   * `rpc.authenticate` or to a call made before it (5 failed attempts close the connection).
   */
  Unauthenticated: -32010,
  /** The caller is authenticated, but its identity may not call this procedure. */
  Forbidden: -32011,
} as const;

/** ReservedCode is the union of the reserved code values. */
export type ReservedCode = (typeof Code)[keyof typeof Code];

/** RpcErrorShape is the plain, wire-neutral form of an error. */
export interface RpcErrorShape {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/**
 * RpcError is an error that crosses the wire: a remote fault on the client, or an
 * error a handler throws on purpose on the server. `code` is an integer; `data` is
 * optional and must be a wire value.
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  /** The integer code: one of {@link Code} or an application code. */
  readonly code: number;
  /** Extra, wire-safe detail (for invalid params, the schema issues). */
  readonly data: unknown;

  constructor(code: number, message: string, options?: { data?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = Number.isSafeInteger(code) ? code : Code.Internal;
    this.data = options?.data;
  }

  /**
   * from turns anything thrown into an RpcError. An RpcError is returned as is;
   * anything else becomes {@link Code.Internal} with a generic message, keeping the
   * original only as `cause`, which is never sent to a peer.
   */
  static from(reason: unknown): RpcError {
    if (reason instanceof RpcError) return reason;
    return new RpcError(Code.Internal, 'rpc: internal error', { cause: reason });
  }

  /** toShape returns the wire-neutral form: code, message and data when present. */
  toShape(): RpcErrorShape {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /** fromShape rebuilds an RpcError from a decoded wire error (on a client). */
  static fromShape(shape: RpcErrorShape): RpcError {
    return new RpcError(shape.code, shape.message, { data: shape.data });
  }
}

/** isRpcErrorShape tells whether a decoded value has an integer code and a string message. */
export function isRpcErrorShape(value: unknown): value is RpcErrorShape {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { code?: unknown; message?: unknown };
  return Number.isSafeInteger(v.code) && typeof v.message === 'string';
}
