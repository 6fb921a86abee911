/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over newline-delimited TCP,
 * with server push, and over HTTP `POST /jsonrpc`. The wire format, the push
 * messages and the limits are described in `docs/jsonrpc.md`.
 *
 * Exports: jsonRpc, the {@link Protocol} registered in `src/transport/index.ts`.
 */
import type { Protocol } from '../types.js';
import { createTransport } from './client.js';
import { CONTENT_TYPE, DEFAULT_PORT, HTTP_PATH, httpServerCodec, PROTOCOL, serverCodec } from './codec.js';

/**
 * jsonRpc serves a registry on TCP (default port 8001, with push) and at
 * `POST /jsonrpc` (every answer 200 with a JSON body, or 204 for notifications only),
 * and calls servers at `tcp://`, `jsonrpc+tcp://`, `jsonrpc+http://` and
 * `jsonrpc+https://` URLs.
 */
export const jsonRpc: Protocol = {
  name: PROTOCOL,
  title: 'JSON-RPC 2.0 over TCP (one message per line) and HTTP POST',
  schemes: ['tcp:', 'jsonrpc+tcp:', 'jsonrpc+tls:', 'jsonrpc+http:', 'jsonrpc+https:'],
  pushSchemes: ['tcp:', 'jsonrpc+tcp:', 'jsonrpc+tls:'],
  createTransport,
  http: {
    paths: [HTTP_PATH],
    contentType: CONTENT_TYPE,
    clientScheme: 'jsonrpc+http:',
    codec: httpServerCodec,
  },
  stream: { defaultPort: DEFAULT_PORT, tlsScheme: 'jsonrpc+tls:', codec: serverCodec },
};
