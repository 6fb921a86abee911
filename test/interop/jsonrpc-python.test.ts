/**
 * The Python push example (stdlib only, raw socket) against our server: it
 * subscribes, prints two messages sent by another client, unsubscribes and exits.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { createClient } from '../../src/sdk/index.js';
import { jsonRpc } from '../../src/transport/jsonrpc/index.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { defaultLimits } from '../../src/transport/types.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../examples/python-jsonrpc-subscribe.py', import.meta.url));

let server: StreamServer;
let port: number;

beforeAll(async () => {
  server = serveStream(jsonRpc, createRegistry(createDemoService()), defaultLimits);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});
afterAll(() => server.drain(1000));

it.skipIf(!existsSync(PYTHON))('python example subscribes and prints the room', async () => {
  const child = spawn(PYTHON, [SCRIPT, '--port', String(port), '--count', '2', 'gallifrey'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill(), 10_000);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    for (let i = 0; i < 200 && !out.includes('subscribed'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain('subscribed to gallifrey');
    const rpc = createClient<DemoService>(`tcp://127.0.0.1:${port}`);
    await rpc.chat.send('gallifrey', 'hello from node', 'romana');
    await rpc.chat.send('gallifrey', 'second', 'romana');
    await rpc.$close();
    expect(await exited).toBe(0);
    expect(err).toBe('');
    const lines = out.trim().split('\n');
    expect(lines.slice(1).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'romana: hello from node',
      'romana: second',
    ]);
  } finally {
    clearTimeout(killer);
    child.kill();
  }
});
