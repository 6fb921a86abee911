/**
 * Calling XML-RPC servers: each call (or `system.multicall` batch) is one POST on the
 * shared HTTP client.
 */
import { createHttpTransport } from '../http-client.js';
import type { ClientOptions, ClientTransport } from '../types.js';
import { CONTENT_TYPE, clientCodec, PROTOCOL } from './codec.js';

/**
 * createTransport returns an XML-RPC client for `url` (`http:`, `https:`, or the same
 * with an `xmlrpc+` prefix). Calls go to the URL's path (`/` when it has none). A
 * fault rejects with RpcError (same code and message); an HTTP status other than 200
 * or a connection failure with TransportError; a reply that is not a methodResponse
 * with ResponseError.
 * @throws TypeError when the URL's scheme is not one of the above.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  const scheme = url.protocol.startsWith('xmlrpc+') ? url.protocol.slice(7) : url.protocol;
  if (scheme !== 'http:' && scheme !== 'https:')
    throw new TypeError(`xmlrpc: cannot call ${url.protocol}// URLs`);
  return createHttpTransport({
    protocol: PROTOCOL,
    url,
    defaultPath: '/',
    contentType: CONTENT_TYPE,
    codec: clientCodec,
    options,
  });
}
