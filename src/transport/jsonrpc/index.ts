/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over newline-delimited TCP,
 * with server push, and over HTTP `POST /jsonrpc`. The wire format, the push
 * messages and the limits are described in `docs/jsonrpc.md`.
 *
 * Exports: jsonRpc, the {@link Protocol} registered in `src/transport/index.ts`.
 */
import type { Protocol } from '../types.js';
import { createTransport } from './client.js';
import { http, stream } from './server.js';

/**
 * jsonRpc serves a registry on TCP (default port 8001) and at `POST /jsonrpc`, and
 * calls servers at `tcp://`, `jsonrpc+tcp://`, `jsonrpc+http://` and `jsonrpc+https://` URLs.
 */
export const jsonRpc: Protocol = {
  name: 'jsonrpc',
  schemes: ['tcp:', 'jsonrpc+tcp:', 'jsonrpc+http:', 'jsonrpc+https:'],
  createTransport,
  http,
  stream,
};
