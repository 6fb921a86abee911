/**
 * Calling msgpack-rpc servers over TCP: many calls in flight on one connection,
 * per-call timeouts and aborts, subscriptions by push (the shared message client).
 */
import { createTcpTransport } from '../tcp-connection.js';
import type { ClientOptions, ClientTransport } from '../types.js';
import { bareClientCodec, clientCodec, DEFAULT_PORT, PROTOCOL } from './codec.js';

/**
 * createTransport returns a client for `msgpack://host:port` or
 * `msgpack+tcp://host:port` (length-prefixed frames), `msgpack+bare://host:port`
 * (bare msgpack-rpc: values back to back, as the msgpack-rpc specification has it), or
 * length-prefixed over TLS `msgpack+tls://host:port`; port 8002 when the URL names
 * none. It connects on the first call.
 * @throws Error for any other scheme.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  if (url.protocol === 'msgpack+bare:')
    return createTcpTransport(url, PROTOCOL, bareClientCodec, DEFAULT_PORT, options);
  if (url.protocol !== 'msgpack:' && url.protocol !== 'msgpack+tcp:' && url.protocol !== 'msgpack+tls:')
    throw new Error(`msgpack: no transport for ${url.protocol}// URLs`);
  return createTcpTransport(url, PROTOCOL, clientCodec, DEFAULT_PORT, options);
}
