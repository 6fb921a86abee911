/**
 * The CLI's side of calling a server by URL: one transport per command, chosen by
 * the URL (the CLI knows no types, so it calls methods by name), and the one-line
 * reports of the three kinds of failure.
 */
import { readFileSync } from 'node:fs';
import { RpcError } from '../rpc/errors.js';
import { ResponseError, TransportError } from '../transport/errors.js';
import { protocolFor } from '../transport/index.js';
import type { ClientTlsOptions, ClientTransport } from '../transport/types.js';
import { UsageError } from './args.js';
import { endpointOf, httpProtocolNames } from './urls.js';

/** RemoteOptions configure {@link openTransport}. */
export interface RemoteOptions {
  /** Per-call timeout in ms; 0 means none. Defaults to 30000. */
  readonly timeout?: number;
  /** The token to present (`--token`). Defaults to the URL's user info, else `POLYRPC_TOKEN`. */
  readonly token?: string;
}

/** TOKEN_HELP is the help line of `--token`, shared by every client command. */
export const TOKEN_HELP = `  --token <token>     credential to present (default: the URL's user info,
                      as in https://user:TOKEN@host or msgpack://:TOKEN@host,
                      else env POLYRPC_TOKEN)`;

/**
 * openTransport returns a transport for `url`. Nothing is sent until the first call.
 * @throws UsageError when no registered protocol answers to the URL.
 */
export function openTransport(url: URL, options: RemoteOptions = {}): ClientTransport {
  let protocol: ReturnType<typeof protocolFor>;
  try {
    protocol = protocolFor(url);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const token =
    options.token ?? (url.username !== '' || url.password !== '' ? undefined : process.env.POLYRPC_TOKEN);
  return protocol.createTransport(url, {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(token === undefined || token === '' ? {} : { auth: token }),
    ...clientTls(),
  });
}

/**
 * clientTls reads the client TLS settings of every command from the environment:
 * `POLYRPC_TLS_CA` (a PEM file of CA certificates to trust), `POLYRPC_TLS_CERT` and
 * `POLYRPC_TLS_KEY` (a client certificate, for mutual TLS), and
 * `POLYRPC_TLS_INSECURE_SKIP_VERIFY=1` (no verification at all; for tests only).
 * @throws UsageError when a named file cannot be read.
 */
function clientTls(): { tls?: ClientTlsOptions } {
  const env = process.env;
  const file = (name: string): string | undefined => {
    const path = env[name];
    if (path === undefined || path === '') return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new UsageError(`${name}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const tls: ClientTlsOptions = {
    ca: file('POLYRPC_TLS_CA'),
    cert: file('POLYRPC_TLS_CERT'),
    key: file('POLYRPC_TLS_KEY'),
    insecureSkipVerify: env.POLYRPC_TLS_INSECURE_SKIP_VERIFY === '1',
  };
  return Object.values(tls).some((v) => v !== undefined && v !== false) ? { tls } : {};
}

/** rpcErrorLine renders a remote error as `code: message`. */
export function rpcErrorLine(err: RpcError): string {
  return `${err.code}: ${err.message}`;
}

/**
 * FirstCall says that a failure happened on the first call to `url`, before any
 * reply: the likeliest cause of a closed connection or an unreadable reply is then
 * a URL that names the wrong protocol for its port, and the report says so.
 */
export interface FirstCall {
  readonly url: URL;
  /** The transport's protocol name, e.g. `msgpack`. */
  readonly protocol: string;
}

const LISTENERS = 'serve prints one listener line per protocol';

/**
 * failureLine renders a transport failure, a malformed reply or anything else
 * unexpected as one line, without a stack. A refused or failed connection reads
 * the same on every protocol: `polyrpc: <protocol>: cannot connect to <host:port>:
 * <system error>`. With `first`, a failure that suggests the wrong port or path
 * ends with a hint.
 */
export function failureLine(err: unknown, first?: FirstCall): string {
  if (err instanceof TransportError) {
    if (err.reason === 'connect') {
      const hint = first === undefined ? undefined : upgradeHint(err, first);
      return `polyrpc: ${connectFailure(err, first)}${hint === undefined ? '' : `; ${hint}`}`;
    }
    const hint = first === undefined ? undefined : transportHint(err, first);
    return `polyrpc: ${err.message}${hint === undefined ? '' : `; ${hint}`}`;
  }
  if (err instanceof ResponseError) {
    const hint =
      first === undefined ? '' : `; is this ${endpointOf(first.url, first.protocol)}? ${LISTENERS}`;
    return `polyrpc: bad reply: ${err.message}${hint}`;
  }
  if (err instanceof RpcError) return rpcErrorLine(err);
  if (err instanceof Error) return `polyrpc: ${err.message}`;
  return `polyrpc: ${String(err)}`;
}

// The system error of a failed connect (`connect ECONNREFUSED 127.0.0.1:1`), with
// the address it tried. Every client keeps that error as the cause.
function connectFailure(err: TransportError, first: FirstCall | undefined): string {
  const cause = err.cause as { message?: unknown; address?: unknown; port?: unknown } | undefined;
  const system = typeof cause?.message === 'string' ? cause.message : undefined;
  const protocol = first?.protocol ?? /^(\w+):/.exec(err.message)?.[1];
  if (system === undefined || protocol === undefined) {
    return err.message.includes('cannot connect') ? err.message : `cannot connect: ${err.message}`;
  }
  const where =
    typeof cause?.address === 'string' && typeof cause.port === 'number'
      ? `${cause.address.includes(':') ? `[${cause.address}]` : cause.address}:${cause.port}`
      : (first?.url.host ?? '');
  return `${protocol}: cannot connect${where === '' ? '' : ` to ${where}`}: ${system}`;
}

// A connection upgraded from HTTP (WebSocket) fails while connecting when the port
// does not speak HTTP, or when the path is not the upgrade endpoint.
function upgradeHint(err: TransportError, first: FirstCall): string | undefined {
  const causeText = String((err.cause as { message?: unknown } | undefined)?.message ?? '');
  if (/Expected HTTP\//.test(causeText)) {
    return `the server did not answer in HTTP; is this the HTTP port (${httpProtocolNames().join(', ')})? ${LISTENERS}`;
  }
  if (/Unexpected server response: (404|426)/.test(causeText)) {
    return `is this ${endpointOf(first.url, first.protocol)}? ${LISTENERS}`;
  }
  return undefined;
}

function transportHint(err: TransportError, first: FirstCall): string | undefined {
  const http = isHttp(first.url);
  const causeText = String((err.cause as { message?: unknown } | undefined)?.message ?? '');
  if (http && /Expected HTTP\//.test(`${err.message} ${causeText}`)) {
    return `the server did not answer in HTTP; is this the HTTP port (${httpProtocolNames().join(', ')})? ${LISTENERS}`;
  }
  if (err.reason === 'closed') {
    return `the server closed the connection without a reply; is this ${endpointOf(first.url, first.protocol)}? ${LISTENERS}`;
  }
  // A JSON-RPC TCP server waits for a newline that a msgpack frame may never contain.
  if (err.reason === 'timeout' && !http) {
    return `no reply at all; is this ${endpointOf(first.url, first.protocol)}? ${LISTENERS}`;
  }
  if (err.reason === 'http' && (err.status === 404 || err.status === 405 || err.status === 415)) {
    return `is this ${endpointOf(first.url, first.protocol)}? ${LISTENERS}`;
  }
  return undefined;
}

function isHttp(url: URL): boolean {
  return /(^|\+)https?:$/.test(url.protocol);
}

/** isRpcError tells a remote error (the server answered) from a failure to get an answer. */
export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError;
}
