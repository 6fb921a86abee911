/** The typed proxy over XML-RPC: createClient with an http:// URL, against our server and a hand-written contract. */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoService } from '../../../src/demo/service.js';
import { RpcError } from '../../../src/rpc/errors.js';
import { createClient } from '../../../src/sdk/index.js';
import type { Client } from '../../../src/sdk/types.js';
import { closeServer, startServer } from './helpers.js';

let server: http.Server;
let rpc: Client<DemoService>;

beforeAll(async () => {
  const started = await startServer();
  server = started.server;
  rpc = createClient<DemoService>(started.url, { timeout: 5000 });
});
afterAll(async () => {
  await rpc.$close();
  await closeServer(server);
});

describe('createClient over XML-RPC', () => {
  it('picks XML-RPC for http:// and calls typed procedures', async () => {
    expect(rpc.$transport.protocol).toBe('xmlrpc');
    expect(await rpc.add(3, 5)).toBe(8);
    expect(await rpc.hypotenuse(3, 4)).toBe(5);
    expect(await rpc.credentials.lookup('Time Lord')).toBe('Rassilon');
    await expect(rpc.credentials.lookup('Tardis')).rejects.toBeInstanceOf(RpcError);
  });

  it('gets chat messages with Date timestamps by polling chat.history', async () => {
    const sent = await rpc.chat.send('xmlrpc-room', 'hello', 'tester');
    expect(sent.at).toBeInstanceOf(Date);
    const history = await rpc.chat.history('xmlrpc-room');
    expect(history.map((m) => m.text)).toEqual(['hello']);
  });

  it('batches with $batch through one system.multicall', async () => {
    const [sum, who, missing] = await rpc.$batch((b) => [
      b.add(1, 2),
      b.credentials.lookup('Dalek'),
      b.credentials.lookup('Nobody'),
    ]);
    expect(sum).toEqual({ ok: true, value: 3 });
    expect(who).toEqual({ ok: true, value: 'Davros' });
    expect(missing.ok).toBe(false);
  });

  it('calls a server through a hand-written contract', async () => {
    interface Foreign {
      add(a: number, b: number): number;
      system: { listMethods(): string[] };
    }
    const foreign = createClient<Foreign>(rpc.$transport);
    expect(await foreign.add(20, 22)).toBe(42);
    expect(await foreign.system.listMethods()).toContain('echo');
  });
});
