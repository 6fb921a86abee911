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
  // Each protocol registers here, one line each.
  xmlRpc,
  jsonRpc,
  msgPack,
  webSocket,
];

const PLAIN_HTTP = new Set(['http:', 'https:']);

/**
 * protocolFor picks the protocol whose client answers to a URL's scheme. A plain
 * `http(s)://` URL whose path is one that a protocol's HTTP binding serves (other
 * than XML-RPC's `/RPC2` and `/`) goes to that protocol, so every URL `serve` lists
 * works as a client URL: `http://127.0.0.1:8000/jsonrpc` is JSON-RPC, like
 * `jsonrpc+http://127.0.0.1:8000/jsonrpc`. `xmlrpc+http://…` forces XML-RPC on any path.
 * @throws Error when no protocol claims the scheme.
 */
export function protocolFor(url: URL): Protocol {
  if (PLAIN_HTTP.has(url.protocol)) {
    const byPath = servingPath(url);
    if (byPath !== undefined) return byPath;
  }
  for (const p of protocols) if (p.schemes.includes(url.protocol)) return p;
  const known = protocols.flatMap((p) => p.schemes.map((s) => `${s}//`)).join(', ');
  throw new Error(`transport: no protocol for ${url.protocol}// URLs (known: ${known || 'none'})`);
}

// The protocol whose HTTP binding serves url's path, when that protocol does not
// claim plain http: itself (its client takes plain http(s) URLs too).
function servingPath(url: URL): Protocol | undefined {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '') return undefined;
  return protocols.find(
    (p) => !p.schemes.includes(url.protocol) && p.http !== undefined && p.http.paths.includes(path),
  );
}
