/**
 * The CLI's side of calling a server by URL: one transport per command, chosen by
 * the URL's scheme (the CLI knows no types, so it calls methods by name), and the
 * one-line reports of the three kinds of failure.
 */
import { RpcError } from '../rpc/errors.js';
import { ResponseError, TransportError } from '../transport/errors.js';
import { protocolFor } from '../transport/index.js';
import type { ClientTransport } from '../transport/types.js';
import { UsageError } from './args.js';

/** RemoteOptions configure {@link openTransport}. */
export interface RemoteOptions {
  /** Per-call timeout in ms; 0 means none. Defaults to 30000. */
  readonly timeout?: number;
}

/**
 * openTransport returns a transport for `url`. Nothing is sent until the first call.
 * @throws UsageError when no registered protocol answers to the URL's scheme.
 */
export function openTransport(url: URL, options: RemoteOptions = {}): ClientTransport {
  let protocol: ReturnType<typeof protocolFor>;
  try {
    protocol = protocolFor(url);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return protocol.createTransport(url, options.timeout === undefined ? {} : { timeout: options.timeout });
}

/** rpcErrorLine renders a remote error as `code: message`. */
export function rpcErrorLine(err: RpcError): string {
  return `${err.code}: ${err.message}`;
}

/**
 * failureLine renders a transport failure, a malformed reply or anything else
 * unexpected as one line, without a stack.
 */
export function failureLine(err: unknown): string {
  if (err instanceof TransportError) {
    const connect =
      err.reason === 'connect' && !err.message.includes('cannot connect') ? 'cannot connect: ' : '';
    return `polyrpc: ${connect}${err.message}`;
  }
  if (err instanceof ResponseError) return `polyrpc: bad reply: ${err.message}`;
  if (err instanceof RpcError) return rpcErrorLine(err);
  if (err instanceof Error) return `polyrpc: ${err.message}`;
  return `polyrpc: ${String(err)}`;
}

/** isRpcError tells a remote error (the server answered) from a failure to get an answer. */
export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError;
}
