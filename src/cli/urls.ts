/**
 * The CLI's view of the protocol list (`src/transport/index.ts`): the URLs a default
 * `polyrpc serve` answers at, for help texts and examples, and the endpoint a URL
 * was meant for, for wrong-port hints. The CLI names no protocol itself: adding one
 * to the list adds it to every help text.
 */
import { protocols } from '../transport/index.js';
import type { Protocol } from '../transport/types.js';

/** HTTP_PORT is the shared HTTP server's default port. */
export const HTTP_PORT = 8000;

/** DefaultUrl is one URL a protocol answers at on a default `polyrpc serve`. */
export interface DefaultUrl {
  readonly protocol: Protocol;
  readonly url: string;
  /** Whether connections at this URL carry server push (subscriptions). */
  readonly push: boolean;
}

/**
 * defaultUrls lists the URLs a default `polyrpc serve` answers at, protocol by
 * protocol in list order: HTTP paths (as serve prints them), upgrade schemes, then
 * the protocol's own TCP port.
 */
export function defaultUrls(host = '127.0.0.1'): DefaultUrl[] {
  const urls: DefaultUrl[] = [];
  for (const protocol of protocols) {
    const add = (url: string, scheme: string): void => {
      urls.push({ protocol, url, push: protocol.pushSchemes.includes(scheme) });
    };
    if (protocol.http !== undefined) add(`http://${host}:${HTTP_PORT}${protocol.http.paths[0]}`, 'http:');
    for (const s of protocol.upgrade?.clientSchemes ?? []) {
      add(`${s}//${host}:${HTTP_PORT}${protocol.upgrade?.paths[0] ?? '/'}`, s);
    }
    if (protocol.stream !== undefined) {
      const scheme = protocol.schemes[0] ?? `${protocol.name}:`;
      add(`${scheme}//${host}:${protocol.stream.defaultPort}`, scheme);
    }
  }
  return urls;
}

/** exampleUrl picks a default URL for help examples: the first, or the first with push. */
export function exampleUrl(want: { push?: boolean; last?: boolean } = {}): string {
  const urls = defaultUrls().filter((u) => want.push === undefined || u.push === want.push);
  return (want.last === true ? urls[urls.length - 1] : urls[0])?.url ?? 'http://127.0.0.1:8000/';
}

/**
 * urlHelp renders the protocol list for help texts: each protocol's name and title,
 * then its URLs (with `host` for the address), those with push marked.
 */
export function urlHelp(indent = '  '): string {
  const width = Math.max(...protocols.map((p) => p.name.length)) + 2;
  const pad = ' '.repeat(width);
  const urls = defaultUrls('host');
  return protocols
    .map((p) => {
      const own = urls
        .filter((u) => u.protocol === p)
        .map((u) => `${u.url}${u.push ? ' (push)' : ''}`)
        .join(', ');
      return `${indent}${p.name.padEnd(width)}${p.title}\n${indent}${pad}${own}`;
    })
    .join('\n');
}

/** httpProtocolNames names the protocols served on the shared HTTP port. */
export function httpProtocolNames(): string[] {
  return protocols.filter((p) => p.http !== undefined || p.upgrade !== undefined).map((p) => p.name);
}

/**
 * endpointOf describes, for a hint, the endpoint `url` was meant to reach with
 * `protocolName`: `the msgpack port (msgpack://host:port)`, `the xmlrpc endpoint
 * (http://host:port/RPC2)`.
 */
export function endpointOf(url: URL, protocolName: string): string {
  const p = protocols.find((q) => q.name === protocolName);
  if (p === undefined) return `a ${protocolName} endpoint`;
  const scheme = url.protocol;
  if (/(^|\+)https?:$/.test(scheme) && p.http !== undefined) {
    return `the ${p.name} endpoint (http://host:port${p.http.paths[0]})`;
  }
  if (p.upgrade !== undefined && (p.stream === undefined || /(^|\+)wss?:$/.test(scheme))) {
    return `the ${p.name} endpoint (${scheme}//host:port${p.upgrade.paths[0]})`;
  }
  return `the ${p.name} port (${p.schemes[0]}//host:port)`;
}
