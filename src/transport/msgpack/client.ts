/**
 * Calling msgpack-rpc servers over TCP on the shared stream client: many calls in
 * flight on one connection, per-call timeouts and aborts, subscriptions by push.
 */
import { createStreamClient } from '../stream-client.js';
import type { ClientOptions, ClientTransport } from '../types.js';
import { clientCodec } from './codec.js';
import { DEFAULT_PORT, PROTOCOL } from './server.js';

/**
 * createTransport returns a client for `msgpack://host:port` or
 * `msgpack+tcp://host:port` (port 8002 when the URL names none). It connects on the
 * first call.
 * @throws Error for any other scheme.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  if (url.protocol !== 'msgpack:' && url.protocol !== 'msgpack+tcp:')
    throw new Error(`msgpack: no transport for ${url.protocol}// URLs`);
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  return createStreamClient({ host: hostOf(url), port, codec: clientCodec, protocol: PROTOCOL, options });
}

// URL keeps the brackets of an IPv6 literal in `hostname`; sockets want them off.
function hostOf(url: URL): string {
  const h = url.hostname === '' ? '127.0.0.1' : url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}
