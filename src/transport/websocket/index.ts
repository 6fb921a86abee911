/**
 * JSON-RPC 2.0 and msgpack-rpc over WebSocket, at `/ws` on the shared HTTP server: a
 * text frame carries one JSON-RPC message or batch, a binary frame one msgpack-rpc
 * message (no length prefix). One connection may mix both; replies and pushes use the
 * frame type of their request. The wire format and limits are in `docs/websocket.md`.
 *
 * Exports: webSocket, the {@link Protocol} registered in `src/transport/index.ts`.
 */
import type { Protocol } from '../types.js';
import { createTransport, PATH } from './client.js';
import { createUpgradeServer } from './server.js';

const SCHEMES = ['ws:', 'wss:', 'jsonrpc+ws:', 'jsonrpc+wss:', 'msgpack+ws:', 'msgpack+wss:'];

/**
 * webSocket serves a registry at `/ws` on the shared HTTP server and calls servers at
 * `ws://` (JSON-RPC) and `msgpack+ws://` (msgpack-rpc) URLs, with push on both.
 */
export const webSocket: Protocol = {
  name: 'websocket',
  title: 'JSON-RPC (text frames) and msgpack-rpc (binary frames) over WebSocket',
  schemes: SCHEMES,
  pushSchemes: SCHEMES,
  createTransport,
  upgrade: { paths: [PATH], clientSchemes: ['ws:', 'msgpack+ws:'], createServer: createUpgradeServer },
};
