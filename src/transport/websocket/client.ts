/**
 * Calling over WebSocket: JSON-RPC in text frames (`ws://`, `wss://`, `jsonrpc+ws://`)
 * or msgpack-rpc in binary frames (`msgpack+ws://`, `msgpack+wss://`), on the shared
 * message client: pipelined calls, batches (JSON), notifications, server push.
 */

import { WebSocket } from 'ws';
import { hostForUrl, hostOf, portOf } from '../address.js';
import { resolveAuth } from '../client-auth.js';
import { createMessageClient } from '../message-client.js';
import { clientTlsOptions } from '../tls.js';
import type { ClientOptions, ClientTransport } from '../types.js';
import { binaryClientCodec, textClientCodec } from './codec.js';
import { type Corkable, connectWebSocket, type WebSocketFactory } from './connection.js';

/** PATH is where the WebSocket endpoint is served, and the path a URL without one gets. */
export const PATH = '/ws';

/**
 * createTransport returns a client for a WebSocket URL: `ws://host:port/ws` (JSON-RPC),
 * `msgpack+ws://host:port/ws` (msgpack-rpc), and their `wss:` forms.
 * @throws Error for any other scheme.
 */
export function createTransport(url: URL, options: ClientOptions = {}): ClientTransport {
  const scheme = url.protocol;
  const binary = scheme.startsWith('msgpack+');
  const secure = scheme.endsWith('wss:');
  if (!/^(msgpack\+|jsonrpc\+)?wss?:$/.test(scheme))
    throw new Error(`websocket: no transport for ${scheme}// URLs`);
  const host = hostForUrl(hostOf(url));
  const port = portOf(url, secure ? 443 : 80);
  const path = url.pathname === '' || url.pathname === '/' ? PATH : url.pathname;
  const target = `${secure ? 'wss' : 'ws'}://${host}:${port}${path}${url.search}`;
  // The `ws` package's client, for Node (a browser build would pass its global WebSocket).
  // Its socket, from the upgrade response, lets the connection batch each tick's writes.
  const tls = secure ? clientTlsOptions(options.tls, hostOf(url)) : undefined;
  const sockets = new WeakMap<object, Corkable>();
  const open = ((u: string) => {
    const ws = new WebSocket(u, tls);
    ws.once('upgrade', (response) => sockets.set(ws, response.socket));
    return ws;
  }) as unknown as WebSocketFactory;
  return createMessageClient({
    protocol: 'websocket',
    where: `${host}:${port}${path}`,
    codec: binary ? binaryClientCodec : textClientCodec,
    options,
    auth: resolveAuth(url, options),
    dial: () => connectWebSocket(open, target, (ws) => sockets.get(ws)),
  });
}
