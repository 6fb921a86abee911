/**
 * Interop: the Python client in examples/ (Debian's python3-msgpack, /usr/bin/python3)
 * against our msgpack server: calls, errors, echo of every value kind, and a chat
 * message pushed to a subscribed room.
 *
 * Without a Python that can `import msgpack` (Debian: apt-get install python3-msgpack)
 * this file FAILS, saying so, rather than skipping: a CI image that lost the package
 * must not pass silently. POLYRPC_SKIP_PYTHON_MSGPACK=1 skips it on purpose.
 * POLYRPC_PYTHON names another interpreter (defaults to /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { msgPack } from '../../src/transport/msgpack/index.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { defaultLimits } from '../../src/transport/types.js';
import { runPython } from '../support/python.js';

const PYTHON = process.env.POLYRPC_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../examples/python-msgpack-client.py', import.meta.url));

let server: StreamServer;
let port: number;

beforeAll(async () => {
  server = serveStream(msgPack, createRegistry(createDemoService()), defaultLimits);
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});

afterAll(() => server.drain(1000));

const probe = spawnSync(PYTHON, ['-c', 'import msgpack'], { encoding: 'utf8', timeout: 10_000 });
const hasPythonMsgpack = probe.status === 0;
const skipOnPurpose = process.env.POLYRPC_SKIP_PYTHON_MSGPACK === '1';

describe.skipIf(hasPythonMsgpack || skipOnPurpose)('python3-msgpack is required', () => {
  it(`${PYTHON} can import msgpack`, () => {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
    throw new Error(
      `the msgpack interop test needs ${PYTHON} with msgpack (${why}). ` +
        'Install it (Debian/Ubuntu: apt-get install python3-msgpack), ' +
        'or set POLYRPC_SKIP_PYTHON_MSGPACK=1 to skip this file on purpose.',
    );
  });
});

describe.skipIf(!hasPythonMsgpack)('python3-msgpack client ↔ our msgpack server', () => {
  it('passes every check of examples/python-msgpack-client.py --check', async () => {
    const { code, stdout, stderr } = await runPython(
      PYTHON,
      [SCRIPT, '127.0.0.1', String(port), '--check'],
      15_000,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const oks = stdout.trim().split('\n');
    for (const name of [
      'add',
      'hypotenuse',
      'credentials.lookup',
      'credentials.lookup 404',
      'method not found',
      'invalid params',
      'echo nil',
      'echo int64 edges',
      'echo uint64 max',
      'echo beyond 32 bits',
      'echo bin',
      'echo __proto__ key',
      'echo timestamp before 1970',
      'echo timestamp after 2106',
      'echo float32',
      'chat.subscribe',
      'chat push',
      'rpc.unsubscribe',
    ])
      expect(oks).toContain(`ok ${name}`);
    expect(oks.length).toBe(34);
  });

  it('runs the tour that the example prints by default', async () => {
    const { code, stdout } = await runPython(PYTHON, [SCRIPT, '127.0.0.1', String(port)], 15_000);
    expect(code).toBe(0);
    expect(stdout).toContain('add(3, 5) = 8');
    expect(stdout).toContain("credentials.lookup('Gallifreyan') failed: 404 Unknown species: Gallifreyan");
    expect(stdout).toContain('echo(2**64 - 1) = 18446744073709551615');
    expect(stdout).toMatch(/pushed: \{.*'text': 'hi from Python'/);
  });
});
