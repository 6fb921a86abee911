// Issue 15: over HTTP, a call answered -32003 (`Code.NotExecuted`: the server was
// shutting down and did not run it) is sent once more after a short delay, within its
// deadline; a second -32003 reaches the caller. The peer is a real node:http server
// on 127.0.0.1:0 that answers -32003 to the first N requests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { Code, createClient, RpcError } from '../../src/index.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function refusing(times: number): Promise<{ url: string; seen: unknown[] }> {
  const seen: unknown[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const call = JSON.parse(body) as { id: number; params: number[] };
      seen.push(call.id);
      const answer =
        seen.length <= times
          ? { jsonrpc: '2.0', id: call.id, error: { code: -32003, message: 'shutting down' } }
          : { jsonrpc: '2.0', id: call.id, result: call.params[0]! + call.params[1]! };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `jsonrpc+http://127.0.0.1:${(server.address() as AddressInfo).port}/jsonrpc`, seen };
}

it('a -32003 answer is sent once more, under the same id, and the second answer counts', async () => {
  const { url, seen } = await refusing(1);
  const rpc = createClient<{ add(a: number, b: number): number }>(url);
  expect(await rpc.add(2, 3)).toBe(5);
  expect(seen).toHaveLength(2);
  expect(seen[0]).toBe(seen[1]);
  await rpc.$close();
});

it('a second -32003 reaches the caller; retryNotExecuted: 0 turns the retry off', async () => {
  const twice = await refusing(2);
  const rpc = createClient<{ add(a: number, b: number): number }>(twice.url);
  const err = await rpc.add(2, 3).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RpcError);
  expect((err as RpcError).code).toBe(Code.NotExecuted);
  expect(twice.seen).toHaveLength(2);
  await rpc.$close();
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  const once = await refusing(1);
  const off = createClient<{ add(a: number, b: number): number }>(once.url, { retryNotExecuted: 0 });
  const first = await off.add(2, 3).catch((e: unknown) => e);
  expect((first as RpcError).code).toBe(Code.NotExecuted);
  expect(once.seen).toHaveLength(1);
  await off.$close();
});
