/**
 * The stream client keeps one timer for all pending calls (armed at the earliest
 * deadline): a shorter timeout issued after a longer one must still fire on time,
 * and the calls it does not concern must be unaffected.
 */
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { defineService, param, procedure } from '../../src/rpc/service.js';
import { clientCodec } from '../../src/transport/jsonrpc/codec.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { createTcpTransport } from '../../src/transport/tcp-connection.js';
import type { ClientTransport } from '../../src/transport/types.js';

const service = defineService({
  sleep: procedure({
    doc: 'sleep(ms) answers after ms milliseconds.',
    params: [param('ms', z.number())],
    result: z.number(),
    handler: async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    },
  }),
});

let server: RpcServer | undefined;
let client: ClientTransport | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close(0);
});

async function start(): Promise<ClientTransport> {
  server = await serve(service, { protocols: ['jsonrpc'], httpPort: null, ports: { jsonrpc: 0 } });
  const port = Number(new URL(server.listeners[0]!.url).port);
  client = createTcpTransport(new URL(`tcp://127.0.0.1:${port}`), 'jsonrpc', clientCodec, port);
  return client;
}

it('a shorter timeout issued after a longer one fires on time; the others are unaffected', async () => {
  const c = await start();
  const long = c.call({ method: 'sleep', params: [300] }, { timeout: 5000 });
  const started = performance.now();
  const short = c.call({ method: 'sleep', params: [300] }, { timeout: 40 });
  await expect(short).rejects.toMatchObject({
    reason: 'timeout',
    message: 'jsonrpc: call timed out after 40 ms',
  });
  const waited = performance.now() - started;
  expect(waited).toBeGreaterThanOrEqual(39);
  expect(waited).toBeLessThan(290);
  await expect(long).resolves.toBe(300);
});

it('timeouts keep firing after earlier calls have settled', async () => {
  const c = await start();
  for (let i = 0; i < 3; i++) {
    await expect(c.call({ method: 'sleep', params: [1] }, { timeout: 1000 })).resolves.toBe(1);
    await expect(c.call({ method: 'sleep', params: [200] }, { timeout: 20 })).rejects.toMatchObject({
      reason: 'timeout',
    });
  }
});
