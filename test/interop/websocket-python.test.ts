/**
 * Interop: examples/python-websocket-chat.py (Debian's python3-websockets, asyncio
 * client, /usr/bin/python3) against our `/ws`: JSON-RPC calls in text frames, the
 * 404 error of credentials.lookup, and chat pushes sent by another client (over
 * msgpack-over-WebSocket), then rpc.unsubscribe.
 *
 * Without a Python that can `import websockets` (Debian: apt-get install
 * python3-websockets) this file FAILS, saying so, rather than skipping.
 * POLYRPC_SKIP_PYTHON_WEBSOCKETS=1 skips it on purpose. POLYRPC_PYTHON names another
 * interpreter (defaults to /usr/bin/python3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const PYTHON = process.env.POLYRPC_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../examples/python-websocket-chat.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8', timeout: 10_000 });
const hasWebsockets = probe.status === 0;
const skipOnPurpose = process.env.POLYRPC_SKIP_PYTHON_WEBSOCKETS === '1';

let server: RpcServer;
let jsonUrl: string;
let msgpackUrl: string;

beforeAll(async () => {
  server = await serve(createDemoService(), { protocols: ['websocket'], httpPort: 0 });
  jsonUrl = server.listeners.find((l) => l.url.startsWith('ws:'))!.url;
  msgpackUrl = server.listeners.find((l) => l.url.startsWith('msgpack+ws:'))!.url;
});
afterAll(() => server?.close(1000));

describe.skipIf(hasWebsockets || skipOnPurpose)('python3-websockets is required', () => {
  it(`${PYTHON} can import websockets`, () => {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
    throw new Error(
      `the WebSocket interop test needs ${PYTHON} with websockets (${why}). ` +
        'Install it (Debian/Ubuntu: apt-get install python3-websockets), ' +
        'or set POLYRPC_SKIP_PYTHON_WEBSOCKETS=1 to skip this file on purpose.',
    );
  });
});

describe.skipIf(!hasWebsockets)('python3-websockets client ↔ our /ws', () => {
  it('calls, gets the 404 error, receives two pushed messages in order, unsubscribes', async () => {
    const room = 'py-ws';
    const child = spawn(PYTHON, [SCRIPT, '--url', jsonUrl, '--count', '2', room], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const sender = createClient<DemoService>(msgpackUrl);
    try {
      for (let i = 0; i < 400 && !out.includes('subscribed to'); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(out, err).toContain(`subscribed to ${room}`);
      await sender.chat.send(room, 'hello from node', 'romana');
      await sender.chat.send(room, 'second', 'romana');
      expect(await exited).toBe(0);
      expect(err).toBe('');
      const lines = out.trim().split('\n');
      expect(lines.slice(0, 3)).toEqual([
        'add(2, 3) = 5',
        "credentials.lookup('Dalek') = Davros",
        "credentials.lookup('Nobody') failed: 404: Unknown species: Nobody",
      ]);
      expect(lines[3]).toMatch(new RegExp(`^subscribed to ${room} \\(subscription \\d+\\)$`));
      expect(lines.slice(4, 6).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
        'romana: hello from node',
        'romana: second',
      ]);
      expect(lines.slice(6)).toEqual(['unsubscribed: True']);
    } finally {
      clearTimeout(killer);
      child.kill();
      await sender.$close();
    }
  });
});
