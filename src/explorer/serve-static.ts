/**
 * The explorer's static files: a fixed table from GET paths to the files shipped in
 * this folder, answered from memory with strict headers. No path from a request ever
 * reaches the file system, so `..`, encoded dots and absolute paths are simply not found.
 *
 * Exports: createExplorerSite, createStaticSite, findExplorerFiles, StaticSite, StaticReply.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** StaticReply is one answer of a {@link StaticSite}: status, headers and body (null for HEAD and 304). */
export interface StaticReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | null;
}

/** StaticRequest is what a {@link StaticSite} needs of a request. */
export interface StaticRequest {
  /** `GET` or `HEAD`; any other method is 405. */
  readonly method: string;
  /** The path without the query, as sent (not decoded). */
  readonly path: string;
  /** The `If-None-Match` header, if any. */
  readonly ifNoneMatch?: string;
  /** The `Host` header, if any: it narrows the page's `connect-src` to its own WebSocket. */
  readonly host?: string;
}

/**
 * StaticSite serves a fixed set of paths. `has` is cheap and safe to call on every
 * request; `answer` never throws.
 */
export interface StaticSite {
  /** has tells whether `path` (without the query) is one of the site's. */
  has(path: string): boolean;
  /** answer answers a request for one of the site's paths (404 for any other). */
  answer(request: StaticRequest): StaticReply;
}

/** StaticSiteOptions configure {@link createStaticSite}. */
export interface StaticSiteOptions {
  /** Whether the page is served over TLS: its WebSocket is then `wss:`. Defaults to false. */
  readonly secure?: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

// A Host header fit to appear in a CSP source expression: a name or IPv4 literal, or
// an IPv6 literal in brackets, with an optional port. Anything else falls back to 'self'.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function contentSecurityPolicy(host: string | undefined, secure: boolean): string {
  // 'self' covers ws: of the same host in CSP 3; naming it as well keeps older engines working.
  const ws = host !== undefined && HOST.test(host) ? ` ${secure ? 'wss' : 'ws'}://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface Entry {
  readonly type: string;
  readonly body: Uint8Array;
  readonly etag: string;
}

/**
 * createStaticSite serves `files` (URL path → file contents and name, whose extension
 * picks the content type) on GET and HEAD. Every answer carries
 * `X-Content-Type-Options: nosniff` and `Cache-Control: no-cache` (the names are not
 * versioned, so the browser revalidates; an `ETag` makes that a 304); pages also get a
 * strict `Content-Security-Policy`, `Referrer-Policy: no-referrer` and
 * `X-Frame-Options: DENY`. An unknown path is 404, another method 405 with
 * `Allow: GET, HEAD`.
 * @throws Error when a file's extension has no content type.
 */
export function createStaticSite(
  files: Readonly<Record<string, { readonly name: string; readonly body: Uint8Array }>>,
  options: StaticSiteOptions = {},
): StaticSite {
  const table = new Map<string, Entry>();
  for (const [path, file] of Object.entries(files)) {
    const ext = file.name.slice(file.name.lastIndexOf('.') + 1);
    const type = TYPES[ext];
    if (type === undefined) throw new Error(`explorer: no content type for ${file.name}`);
    const etag = `"${createHash('sha256').update(file.body).digest('base64url').slice(0, 22)}"`;
    table.set(path, { type, body: file.body, etag });
  }
  const secure = options.secure ?? false;
  const plain = (status: number, text: string, extra: Record<string, string> = {}): StaticReply => ({
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...extra },
    body: new TextEncoder().encode(text),
  });
  return {
    has: (path) => table.has(path),
    answer(request) {
      const entry = table.get(request.path);
      if (entry === undefined) return plain(404, 'explorer: not found\n');
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return plain(405, 'explorer: only GET and HEAD are served here\n', { Allow: 'GET, HEAD' });
      const headers: Record<string, string> = {
        'Content-Type': entry.type,
        'Cache-Control': 'no-cache',
        ETag: entry.etag,
        'X-Content-Type-Options': 'nosniff',
      };
      if (entry.type.startsWith('text/html')) {
        headers['Content-Security-Policy'] = contentSecurityPolicy(request.host, secure);
        headers['Referrer-Policy'] = 'no-referrer';
        headers['X-Frame-Options'] = 'DENY';
      }
      if (request.ifNoneMatch?.split(/\s*,\s*/).includes(entry.etag))
        return { status: 304, headers, body: null };
      headers['Content-Length'] = String(entry.body.byteLength);
      return { status: 200, headers, body: request.method === 'HEAD' ? null : entry.body };
    },
  };
}

/** EXPLORER_FILES maps the explorer's URL paths to its files in this folder. */
const EXPLORER_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/explorer/explorer.js': 'explorer.js',
  '/explorer/dom.js': 'dom.js',
  '/explorer/rpc.js': 'rpc.js',
  '/explorer/fields.js': 'fields.js',
  '/explorer/snippets.js': 'snippets.js',
  '/explorer/chat.js': 'chat.js',
  '/explorer/explorer.css': 'explorer.css',
  '/explorer/favicon.svg': 'favicon.svg',
};

/**
 * findExplorerFiles returns the folder holding the explorer's files: this module's
 * own folder when it runs from `src/explorer` (tsx, tests), else `src/explorer` of the
 * package (tsc does not copy non-TS files into `dist/`, and `src` ships in the package).
 * @throws Error when neither has them.
 */
export function findExplorerFiles(): string {
  const candidates = [new URL('./', import.meta.url), new URL('../../src/explorer/', import.meta.url)];
  for (const dir of candidates) {
    if (existsSync(new URL('index.html', dir))) return fileURLToPath(dir);
  }
  throw new Error(
    `explorer: its files (index.html, explorer.js, explorer.css) are missing from ${candidates
      .map((c) => fileURLToPath(c))
      .join(' and ')}; serve with explorer: false`,
  );
}

/**
 * createExplorerSite reads the explorer's files once and serves them: the page at
 * `/`, its script modules, style sheet and icon under `/explorer/`.
 * @throws Error when the files cannot be found or read.
 */
export function createExplorerSite(options: StaticSiteOptions & { readonly dir?: string } = {}): StaticSite {
  const dir = options.dir ?? findExplorerFiles();
  const files: Record<string, { name: string; body: Uint8Array }> = {};
  for (const [path, name] of Object.entries(EXPLORER_FILES)) {
    files[path] = { name, body: readFileSync(`${dir}/${name}`) };
  }
  return createStaticSite(files, options);
}
