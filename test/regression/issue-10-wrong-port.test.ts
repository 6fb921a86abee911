/**
 * Issue 10 item 8: a binary protocol spoken to the JSON-RPC TCP port gets -32700 and
 * a closed connection at once, instead of the server waiting for a newline that a
 * msgpack frame never contains (and the client waiting for its timeout).
 */
import { connect } from 'node:net';
import { pack } from 'msgpackr';
import { afterAll, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const server: RpcServer = await serve(createDemoService(), {
  protocols: ['jsonrpc'],
  httpPort: null,
  ports: { jsonrpc: 0 },
  logger: { debug() {}, error() {} },
});
afterAll(() => server.close(500));

it('answers a msgpack frame on the JSON-RPC port with -32700 and closes, promptly', async () => {
  const port = Number(new URL(server.listeners[0]!.url).port);
  const body = pack([0, 7, 'echo', ['hi']]);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  expect(frame.includes(0x0a)).toBe(false); // no newline: without the check, nothing would happen
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d) => {
    text += d.toString();
  });
  const started = performance.now();
  socket.write(frame);
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  expect(performance.now() - started).toBeLessThan(3000);
  const reply = JSON.parse(text.trim()) as { id: unknown; error: { code: number; message: string } };
  expect(reply.id).toBeNull();
  expect(reply.error.code).toBe(-32700);
  expect(reply.error.message).toMatch(/cannot start with byte 0x00/);
});
