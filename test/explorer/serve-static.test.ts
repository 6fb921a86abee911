// The explorer's static files: the path table, content types, headers, 304/404/405,
// HEAD, traversal refused; and the hook in the shared HTTP server (GET / is the page,
// POST / stays XML-RPC), when it is on, and the WebSocket's same-origin rule.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDemoService } from '../../src/demo/service.js';
import { createExplorerSite, createStaticSite } from '../../src/explorer/serve-static.js';
import { protocols } from '../../src/transport/index.js';
import { explorerServed, type RpcServer, serve } from '../../src/transport/serve.js';
import { encodeCall } from '../../src/transport/xmlrpc/codec.js';

const site = createExplorerSite();

describe('static site', () => {
  it('serves the page and its assets with their content types and strict headers', () => {
    const types: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/explorer/explorer.js': 'text/javascript; charset=utf-8',
      '/explorer/rpc.js': 'text/javascript; charset=utf-8',
      '/explorer/chat.js': 'text/javascript; charset=utf-8',
      '/explorer/explorer.css': 'text/css; charset=utf-8',
      '/explorer/favicon.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(types)) {
      const r = site.answer({ method: 'GET', path });
      expect(r.status, path).toBe(200);
      expect(r.headers['Content-Type']).toBe(type);
      expect(r.headers['X-Content-Type-Options']).toBe('nosniff');
      expect(r.headers['Cache-Control']).toBe('no-cache');
      expect(r.headers.ETag).toMatch(/^"[\w-]{22}"$/);
      expect(Number(r.headers['Content-Length'])).toBe(r.body!.byteLength);
    }
    const page = site.answer({ method: 'GET', path: '/', host: '127.0.0.1:8000' });
    expect(new TextDecoder().decode(page.body!)).toMatch(/^<!doctype html>/);
    expect(page.headers['Content-Security-Policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
        "connect-src 'self' ws://127.0.0.1:8000; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers['X-Frame-Options']).toBe('DENY');
    expect(
      site.answer({ method: 'GET', path: '/explorer/explorer.js' }).headers['Content-Security-Policy'],
    ).toBe(undefined);
  });

  it('names the WebSocket in connect-src only from a well-formed Host, wss: over TLS', () => {
    const csp = (host: string | undefined, secure = false): string =>
      createExplorerSite({ secure }).answer({ method: 'GET', path: '/', host }).headers[
        'Content-Security-Policy'
      ]!;
    expect(csp('[::1]:8000')).toContain("connect-src 'self' ws://[::1]:8000;");
    expect(csp('example.org', true)).toContain("connect-src 'self' wss://example.org;");
    for (const bad of [undefined, "x; script-src 'unsafe-inline'", 'a b', 'x:80/'])
      expect(csp(bad)).toContain("connect-src 'self';");
  });

  it('answers HEAD with the headers and no body, and If-None-Match with 304', () => {
    const get = site.answer({ method: 'GET', path: '/explorer/explorer.css' });
    const head = site.answer({ method: 'HEAD', path: '/explorer/explorer.css' });
    expect(head.status).toBe(200);
    expect(head.body).toBe(null);
    expect(head.headers).toEqual(get.headers);
    const etag = get.headers.ETag!;
    expect(site.answer({ method: 'GET', path: '/explorer/explorer.css', ifNoneMatch: etag }).status).toBe(
      304,
    );
    expect(
      site.answer({ method: 'GET', path: '/explorer/explorer.css', ifNoneMatch: `"x", ${etag}` }).status,
    ).toBe(304);
    expect(site.answer({ method: 'GET', path: '/explorer/explorer.css', ifNoneMatch: '"x"' }).status).toBe(
      200,
    );
  });

  it('refuses other paths (traversal included) with 404 and other methods with 405', () => {
    for (const path of [
      '/index.html',
      '/explorer/',
      '/explorer/explorer.js/',
      '/explorer/../package.json',
      '/explorer/%2e%2e/package.json',
      '/explorer/..%2f..%2fpackage.json',
      '//etc/passwd',
      '/explorer/serve-static.ts',
      '/explorer/EXPLORER.JS',
    ]) {
      expect(site.has(path), path).toBe(false);
      const r = site.answer({ method: 'GET', path });
      expect(r.status, path).toBe(404);
      expect(r.headers['X-Content-Type-Options']).toBe('nosniff');
    }
    const post = site.answer({ method: 'POST', path: '/explorer/explorer.js' });
    expect(post.status).toBe(405);
    expect(post.headers.Allow).toBe('GET, HEAD');
  });

  it('refuses a file whose type it does not know', () => {
    expect(() => createStaticSite({ '/x': { name: 'x.exe', body: new Uint8Array() } })).toThrow(
      /content type/,
    );
  });

  it('is served by default on loopback only, when asked elsewhere, and never without /ws', () => {
    expect(explorerServed(undefined, '127.0.0.1', protocols)).toBe(true);
    expect(explorerServed(undefined, '::1', protocols)).toBe(true);
    expect(explorerServed(undefined, 'localhost', protocols)).toBe(true);
    expect(explorerServed(undefined, '0.0.0.0', protocols)).toBe(false);
    expect(explorerServed(true, '0.0.0.0', protocols)).toBe(true);
    expect(explorerServed(false, '127.0.0.1', protocols)).toBe(false);
    const noWs = protocols.filter((p) => p.upgrade === undefined);
    expect(explorerServed(true, '127.0.0.1', noWs)).toBe(false);
  });
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// A request line sent as is: node's client would not send `..` unnormalised either way,
// but a raw socket can.
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      text += c;
    });
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

describe('explorer on the shared HTTP server', () => {
  let on: RpcServer;
  let off: RpcServer;
  const portOf = (s: RpcServer): number => Number(new URL(s.listeners[0]!.url).port);

  beforeAll(async () => {
    const ports = { jsonrpc: null, msgpack: null };
    // allowedOrigins turns off loopback's "any origin", so the same-origin rule shows.
    [on, off] = await Promise.all([
      serve(createDemoService(), { httpPort: 0, ports, allowedOrigins: ['https://app.example'] }),
      serve(createDemoService(), {
        httpPort: 0,
        ports,
        explorer: false,
        allowedOrigins: ['https://app.example'],
      }),
    ]);
  });
  afterAll(() => Promise.all([on.close(0), off.close(0)]));

  it('serves GET / and HEAD /, and leaves POST / to XML-RPC', async () => {
    const port = portOf(on);
    expect(on.explorer).toBe(`http://127.0.0.1:${port}/`);
    const get = await request(port, 'GET', '/?utm=1');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(get.body).toContain('<script type="module" src="/explorer/explorer.js"></script>');
    const head = await request(port, 'HEAD', '/');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.body).toBe('');
    const xml = await request(port, 'POST', '/', encodeCall('add', [2, 3]));
    expect(xml.status).toBe(200);
    expect(xml.body).toContain('<int>5</int>');
    const put = await request(port, 'PUT', '/');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    const asset = await request(port, 'POST', '/explorer/explorer.js', 'x');
    expect(asset.status).toBe(405);
    expect(asset.headers.allow).toBe('GET, HEAD');
    expect((await request(port, 'GET', '/RPC2')).status).toBe(405);
    expect(await rawGet(port, '/explorer/../package.json')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await rawGet(port, '/explorer/../../src/explorer/serve-static.ts')).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('without the explorer, GET / is 405 as before and nothing is listed', async () => {
    const port = portOf(off);
    expect(off.explorer).toBe(undefined);
    const get = await request(port, 'GET', '/');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await request(port, 'GET', '/explorer/explorer.js')).status).toBe(404);
  });

  it("accepts the page's own origin on /ws only when the explorer is served", async () => {
    const open = (s: RpcServer, origin: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${portOf(s)}/ws`, { origin });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
    expect(await open(on, `http://127.0.0.1:${portOf(on)}`)).toBe(101);
    expect(await open(on, 'http://evil.example')).toBe(403);
    expect(await open(on, 'https://app.example')).toBe(101);
    expect(await open(off, `http://127.0.0.1:${portOf(off)}`)).toBe(403);
  });
});
