/**
 * Connection limits across every listener of one server: per client address and in
 * all. The excess gets the protocol's own refusal (a JSON-RPC error line, a msgpack
 * error frame, HTTP 503) and is closed; the connections already open keep working,
 * and a slot freed by a close is free again.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { connectWire, nextReply } from '../support/wire.js';

let server: RpcServer;
const port = (prefix: string): number =>
  Number(new URL(server.listeners.find((l) => l.url.startsWith(prefix))!.url).port);

beforeAll(async () => {
  server = await serve(createDemoService(), {
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    explorer: false,
    limits: { maxConnections: 3, maxConnectionsPerIp: 2 },
  });
});
afterAll(async () => {
  await server.close(0);
});

function rawFrom(localAddress: string, to: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: to, localAddress });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    s.on('close', () => resolve(text));
    s.on('error', () => {});
  });
}

describe('connection limits', () => {
  it('refuses a third connection from one address with the protocol error, across listeners', async () => {
    const a = await connectWire('jsonrpc', port('tcp:'));
    const b = await connectWire('msgpack', port('msgpack:'));
    try {
      // A third from 127.0.0.1: on JSON-RPC, an error line then close.
      const c = await connectWire('jsonrpc', port('tcp:'));
      const refused = await c.next();
      expect(refused).toMatchObject({ kind: 'reply', id: null, error: { code: -32000 } });
      expect((refused as { error: { message: string } }).error.message).toMatch(/too many connections from/);
      await c.closed;
      // On msgpack, an error frame.
      const d = await connectWire('msgpack', port('msgpack:'));
      expect(await d.next()).toMatchObject({ kind: 'reply', error: { code: -32000 } });
      await d.closed;
      // On HTTP, a 503.
      const e = await rawFrom('127.0.0.1', port('http:'));
      const text = readAll(e);
      e.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
      expect(await text).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      // The two admitted connections still work.
      a.send({ id: 1, method: 'add', params: [1, 2] });
      expect(await nextReply(a)).toMatchObject({ id: 1, result: 3 });
      b.send({ id: 2, method: 'add', params: [2, 2] });
      expect(await nextReply(b)).toMatchObject({ id: 2, result: 4 });
    } finally {
      a.socket.destroy();
      b.socket.destroy();
    }
    await Promise.all([a.closed, b.closed]);
    // Freed (once the server has seen the closes): a client gets in again.
    const rpc = createClient<ReturnType<typeof createDemoService>>(server.listeners[0]!.clientUrl);
    try {
      let answer: unknown;
      for (let i = 0; i < 40 && answer !== 10; i++) {
        answer = await rpc.add(5, 5).catch((e: Error) => e);
        if (answer !== 10) await new Promise((r) => setTimeout(r, 25));
      }
      expect(answer).toBe(10);
    } finally {
      await rpc.$close();
    }
  });

  it('refuses past the total, whatever the address', async () => {
    // Two from 127.0.0.1 and one from 127.0.0.2 fill the three slots.
    const open = [
      await rawFrom('127.0.0.1', port('tcp:')),
      await rawFrom('127.0.0.1', port('tcp:')),
      await rawFrom('127.0.0.2', port('tcp:')),
    ];
    try {
      await new Promise((r) => setTimeout(r, 50));
      const extra = await rawFrom('127.0.0.3', port('tcp:'));
      const text = await readAll(extra);
      expect(JSON.parse(text.trim())).toMatchObject({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: expect.stringMatching(/too many connections \(3 open\)/) },
      });
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
