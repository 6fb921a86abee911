/**
 * The protocol list. Adding a protocol is one folder under `src/transport` and one
 * line in {@link protocols}.
 *
 * Exports: protocols, protocolFor.
 */
import { jsonRpc } from './jsonrpc/index.js';
import { msgPack } from './msgpack/index.js';
import type { Protocol } from './types.js';
import { webSocket } from './websocket/index.js';
import { xmlRpc } from './xmlrpc/index.js';

/** protocols are the wire protocols polyrpc serves and calls, in listing order. */
export const protocols: readonly Protocol[] = [
  // xmlrpc, jsonrpc and msgpack register here, one line each.
  xmlRpc,
  jsonRpc,
  msgPack,
  webSocket,
];

/**
 * protocolFor picks the protocol whose client answers to a URL's scheme.
 * @throws Error when no protocol claims the scheme.
 */
export function protocolFor(url: URL): Protocol {
  for (const p of protocols) if (p.schemes.includes(url.protocol)) return p;
  const known = protocols.flatMap((p) => p.schemes.map((s) => `${s}//`)).join(', ');
  throw new Error(`transport: no protocol for ${url.protocol}// URLs (known: ${known || 'none'})`);
}
