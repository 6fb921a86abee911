/** A keep-alive HTTP connection keeps one session across its requests, on both HTTP protocols. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRegistry } from '../../src/rpc/registry.js';
import { defineService, procedure } from '../../src/rpc/service.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const service = defineService({
  visits: procedure({
    doc: 'counts calls on this connection',
    params: [],
    result: z.number(),
    handler: (_args, ctx) => {
      const n = ((ctx.session.get('visits') as number | undefined) ?? 0) + 1;
      ctx.session.set('visits', n);
      return n;
    },
  }),
});

let server: RpcServer;
beforeAll(async () => {
  server = await serve(createRegistry(service), { httpPort: 0, ports: { jsonrpc: null, msgpack: null } });
});
afterAll(() => server.close(500));

describe('HTTP sessions', () => {
  it('persist across requests on one keep-alive connection, and are not shared between clients', async () => {
    for (const listener of server.listeners) {
      const a = createClient<typeof service>(listener.clientUrl);
      const b = createClient<typeof service>(listener.clientUrl);
      try {
        expect([await a.visits(), await a.visits(), await a.visits()], listener.clientUrl).toEqual([1, 2, 3]);
        expect(await b.visits(), listener.clientUrl).toBe(1);
      } finally {
        await a.$close();
        await b.$close();
      }
    }
  });
});
