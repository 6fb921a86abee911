/**
 * Interop, issue 13: a msgpack-rpc client nobody here wrote — the session layer of the
 * Python Neovim client (Debian python3-pynvim, `pynvim.msgpack_rpc.tcp_session`),
 * which speaks bare msgpack-rpc (no length prefix) — against the msgpack port: `add`,
 * the 404 of an unknown species, method not found, and an echo of every value kind
 * (a 1 MiB binary and a 70 kB string included, so messages span many TCP chunks both
 * ways). The checks run in test/interop/fixtures/msgpack-pynvim-client.py.
 *
 * Without a Python that can `import pynvim` (Debian: apt-get install python3-pynvim)
 * this file FAILS, saying so, rather than skipping. POLYRPC_SKIP_PYNVIM=1 skips it on
 * purpose. POLYRPC_PYTHON names another interpreter (defaults to /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { runPython } from '../support/python.js';

const PYTHON = process.env.POLYRPC_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./fixtures/msgpack-pynvim-client.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import pynvim.msgpack_rpc'], { encoding: 'utf8', timeout: 10_000 });
const hasPynvim = probe.status === 0;
const skipOnPurpose = process.env.POLYRPC_SKIP_PYNVIM === '1';

let server: RpcServer | undefined;
let port = 0;

beforeAll(async () => {
  server = await serve(createDemoService(), {
    protocols: ['msgpack'],
    httpPort: null,
    ports: { msgpack: 0 },
    logger: { debug() {}, error() {} },
  });
  port = Number(new URL(server.listeners[0]!.url).port);
});

afterAll(() => server?.close(1000));

describe.skipIf(hasPynvim || skipOnPurpose)('python3-pynvim is required', () => {
  it(`${PYTHON} can import pynvim.msgpack_rpc`, () => {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
    throw new Error(
      `the bare msgpack-rpc interop test needs ${PYTHON} with pynvim (${why}). ` +
        'Install it (Debian/Ubuntu: apt-get install python3-pynvim), ' +
        'or set POLYRPC_SKIP_PYNVIM=1 to skip this file on purpose.',
    );
  });
});

describe.skipIf(!hasPynvim)('pynvim msgpack-rpc session ↔ our msgpack port (bare framing)', () => {
  it('passes every check of msgpack-pynvim-client.py', async () => {
    const { code, stdout, stderr } = await runPython(PYTHON, [SCRIPT, '127.0.0.1', String(port)], 20_000);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const oks = stdout.trim().split('\n');
    for (const name of [
      'add',
      'credentials.lookup 404',
      'method not found',
      'echo nil',
      'echo int64 min',
      'echo uint64 max',
      'echo float',
      'echo str',
      'echo long str',
      'echo bin',
      'echo large bin',
      'echo array',
      'echo map',
      'echo timestamp',
      'echo timestamp before 1970',
    ])
      expect(oks).toContain(`ok ${name}`);
    expect(oks.length).toBe(29);
  });
});
