/**
 * Calling JSON-RPC 2.0 servers: over TCP on the shared message client (pipelined
 * calls on one connection, batches, server push), or over HTTP POST on the shared
 * HTTP client (calls, notifications, batches; no push).
 */
import { createHttpTransport } from '../http-client.js';
import { createTcpTransport } from '../tcp-connection.js';
import type { ClientOptions, ClientTransport } from '../types.js';
import { CONTENT_TYPE, clientCodec, DEFAULT_PORT, HTTP_PATH, httpClientCodec, PROTOCOL } from './codec.js';

/**
 * createTransport returns a client for `tcp://host:port`, `jsonrpc+tcp://host:port`,
 * `jsonrpc+tls://host:port` (TLS),
 * `jsonrpc+http://host:port/path` or `jsonrpc+https://host:port/path` (the path
 * defaults to `/jsonrpc`), or a plain `http(s)://host:port/jsonrpc`.
 * @throws Error for any other scheme.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  switch (url.protocol) {
    case 'tcp:':
    case 'jsonrpc+tcp:':
    case 'jsonrpc+tls:':
      return createTcpTransport(url, PROTOCOL, clientCodec, DEFAULT_PORT, options);
    case 'jsonrpc+http:':
    case 'jsonrpc+https:':
    case 'http:': // a plain http(s) URL reaches here only when its path is ours (protocolFor)
    case 'https:':
      return createHttpTransport({
        protocol: PROTOCOL,
        url,
        defaultPath: HTTP_PATH,
        contentType: CONTENT_TYPE,
        codec: httpClientCodec,
        options,
      });
    default:
      throw new Error(`jsonrpc: no transport for ${url.protocol}// URLs`);
  }
}
