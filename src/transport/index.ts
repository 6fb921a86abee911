/**
 * The protocol list. Adding a protocol is one folder under `src/transport` and one
 * line in {@link protocols}.
 *
 * Exports: protocols, protocolFor.
 */
import { jsonRpc } from './jsonrpc/index.js';
import { msgPack } from './msgpack/index.js';
import type { Protocol } from './types.js';
import { xmlRpc } from './xmlrpc/index.js';

/** protocols are the wire protocols polyrpc serves and calls, in listing order. */
export const protocols: readonly Protocol[] = [
  // xmlrpc, jsonrpc and msgpack register here, one line each.
  xmlRpc,
  jsonRpc,
  msgPack,
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
// claim plain http: itself; its client is given the URL under its own `name+http:`
// scheme.
const byPathCache = new Map<Protocol, Protocol>();
function servingPath(url: URL): Protocol | undefined {
  const path = url.pathname.replace(/\/+$/, '');
  for (const p of protocols) {
    if (p.schemes.includes(url.protocol) || p.http === undefined) continue;
    if (path === '' || !p.http.paths.includes(path)) continue;
    const scheme = `${p.name}+${url.protocol}`;
    if (!p.schemes.includes(scheme)) continue;
    let routed = byPathCache.get(p);
    if (routed === undefined) {
      routed = {
        ...p,
        createTransport: (u, options) =>
          p.createTransport(
            PLAIN_HTTP.has(u.protocol) ? withScheme(u, `${p.name}+${u.protocol}`) : u,
            options,
          ),
      };
      byPathCache.set(p, routed);
    }
    return routed;
  }
  return undefined;
}

// The WHATWG URL setter refuses to turn a special scheme (http) into a non-special
// one, so the URL is rebuilt from its text.
function withScheme(url: URL, scheme: string): URL {
  return new URL(`${scheme}${url.href.slice(url.protocol.length)}`);
}
