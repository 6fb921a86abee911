/** Shared setup for the XML-RPC tests: servers on 127.0.0.1 port 0 and a raw HTTP poster. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createDemoService } from '../../../src/demo/service.js';
import { createRegistry } from '../../../src/rpc/registry.js';
import { defineService, param, procedure } from '../../../src/rpc/service.js';
import { createHttpServer } from '../../../src/transport/http.js';
import { defaultLimits, type Limits } from '../../../src/transport/types.js';
import { xmlRpc } from '../../../src/transport/xmlrpc/index.js';

/** slowService has one procedure that answers after `ms` milliseconds (capped at 5 s). */
export const slowService = defineService({
  slow: procedure({
    doc: 'slow(ms) answers "done" after ms milliseconds.',
    params: [param('ms', z.number().int().min(0).max(5000))],
    result: z.string(),
    handler: ({ ms }) => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms)),
  }),
});

/** startServer listens on 127.0.0.1:0 with the demo service (or `service`) and returns the server and its port. */
export async function startServer(
  limits: Partial<Limits> = {},
  service: Parameters<typeof createRegistry>[0] = createDemoService(),
): Promise<{ server: http.Server; port: number; url: string }> {
  const registry = createRegistry(service, { logger: { debug() {}, error() {} } });
  const server = createHttpServer(registry, [xmlRpc], { ...defaultLimits, ...limits });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}/RPC2` };
}

/** RawReply is what {@link post} saw. */
export interface RawReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly bytes: number;
}

/** post sends one request on a fresh connection and collects the whole reply. */
export function post(
  port: number,
  body: string | Buffer,
  options: { path?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/RPC2',
        method: options.method ?? 'POST',
        agent: false,
        headers: { 'Content-Type': 'text/xml', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf.toString('utf8'),
            bytes: buf.length,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** closeServer closes a server and every connection it still has. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
