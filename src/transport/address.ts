/**
 * Host and port from client URLs, the same way for every protocol.
 *
 * Exports: hostOf, portOf.
 * @internal
 */

/** hostOf is the URL's host for a socket: IPv6 brackets off, `127.0.0.1` when empty. */
export function hostOf(url: URL): string {
  const h = url.hostname === '' ? '127.0.0.1' : url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** portOf is the URL's port, or `fallback` when it names none. */
export function portOf(url: URL, fallback: number): number {
  return url.port === '' ? fallback : Number(url.port);
}

/** hostForUrl puts an IPv6 literal in brackets for use in a URL. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** isLoopbackHost tells whether a bind address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
