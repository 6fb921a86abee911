// `polyrpc repl`: piped stdin as a real process, a pseudo-terminal (util-linux
// `script`) for Tab completion and history, and the scope/completion helpers.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeHelp, errorLine, historyPath, scopeFor } from '../../src/cli/repl.js';
import { RpcError } from '../../src/rpc/errors.js';
import { exitWithin, killAll, runCli, type Served, spawnCli, startServer } from './process.js';

let served: Served;
let home: string;

beforeAll(async () => {
  served = await startServer();
  home = mkdtempSync(join(tmpdir(), 'polyrpc-repl-'));
});

afterAll(async () => {
  await served?.stop();
  killAll();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

describe('repl over piped stdin', () => {
  it.each(['xmlrpc', 'tcp', 'msgpack', 'ws', 'msgpackWs'] as const)(
    'calls, survives an error and runs lines in order (%s)',
    async (scheme) => {
      const input = [
        'await add(2, 3)',
        'await credentials.lookup("Nobody")',
        'await credentials.lookup("Dalek")',
        'typeof chat.send',
        '.help hypotenuse',
        'await $call("no.such")',
        'await hypotenuse(3, 4)',
        '',
      ].join('\n');
      const r = await runCli(['repl', served[scheme]], { input, env: { POLYRPC_HISTORY: join(home, 'h') } });
      expect(r.code).toBe(0);
      const out = r.stdout;
      const order = [
        /> 5\n/,
        /> Uncaught RpcError\(404\): Unknown species: Nobody\n/,
        /> 'Davros'\n/,
        /> 'function'\n/,
        /> hypotenuse\(int, int\) → int\nhypotenuse\(double, double\) → double\nhypotenuse\(a, b\) returns/,
        /> Uncaught RpcError\(-32601\): /,
        /> 5\n/,
      ];
      let from = 0;
      for (const re of order) {
        const m = re.exec(out.slice(from));
        expect(m, `${re} after offset ${from} in:\n${out}`).not.toBeNull();
        from += m!.index + m![0].length;
      }
    },
  );

  it('sends binary data and dates made in the REPL as such (issue 10 item 4)', async () => {
    const input = ['await echo(new Uint8Array([1, 2]))', 'await echo(new Date(0))', ''].join('\n');
    const r = await runCli(['repl', served.msgpack], { input, env: { POLYRPC_HISTORY: join(home, 'h') } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/> <Buffer 01 02>\n/);
    expect(r.stdout).toMatch(/> 1970-01-01T00:00:00\.000Z\n/);
  });

  it('exits 2 with one line when the server is unreachable', async () => {
    const r = await runCli(['repl', 'tcp://127.0.0.1:1'], { input: 'await add(1, 2)\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^polyrpc repl: .*ECONNREFUSED.*\n$/);
  });
});

describe.skipIf(!existsSync('/usr/bin/script'))('repl in a pseudo-terminal', () => {
  it('completes names with Tab and keeps history in POLYRPC_HISTORY', async () => {
    const history = join(home, 'tty-history');
    const cli = `${process.execPath} --import tsx src/cli/main.ts repl ${served.msgpack}`;
    const p = spawnCli([], {
      command: ['/usr/bin/script', '-qfec', cli, '/dev/null'],
      env: { POLYRPC_HISTORY: history, TERM: 'xterm', NO_COLOR: '1' },
    });
    await p.waitFor(/msgpack> /, 'stdout', 15_000);
    p.write('await hypot\t');
    await p.waitFor(/await hypotenuse/, 'stdout');
    p.write('(6, 8)\r');
    await p.waitFor(/\b10\b/, 'stdout');
    p.write('.help credentials.lo\t');
    await p.waitFor(/\.help credentials\.lookup/, 'stdout');
    p.write('\r');
    await p.waitFor(/credentials\.lookup\(species\) returns/, 'stdout');
    p.write('.exit\r');
    const exit = await exitWithin(p, 10_000);
    expect(exit.code).toBe(0);
    expect(readFileSync(history, 'utf8')).toMatch(/await hypotenuse\(6, 8\)/);
  });
});

describe('repl helpers', () => {
  it('scopeFor nests dotted names and keeps functions that are also namespaces', async () => {
    const calls: [string, unknown[]][] = [];
    const scope = scopeFor(['add', 'a', 'a.b', 'credentials.lookup', 'x.__proto__'], async (m, args) => {
      calls.push([m, args]);
      return m;
    });
    const s = scope as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
    expect(await (scope.add as (...a: unknown[]) => Promise<unknown>)(1, 2)).toBe('add');
    expect(await s.credentials!.lookup!('Dalek')).toBe('credentials.lookup');
    expect(typeof scope.a).toBe('function');
    expect(await s.a!.b!()).toBe('a.b');
    expect(calls).toContainEqual(['credentials.lookup', ['Dalek']]);
    expect(Object.keys(scope)).not.toContain('x');
  });

  it('scopeFor leaves out names that would shadow a global', () => {
    const scope = scopeFor(
      ['process.exit', 'add'],
      async () => 0,
      (n) => n === 'process',
    );
    expect(Object.keys(scope)).toEqual(['add']);
  });

  it('completeHelp completes .help arguments only', () => {
    const names = ['add', 'chat.history', 'chat.send', 'credentials.lookup'];
    expect(completeHelp(names, '.help ch')).toEqual([['chat.history', 'chat.send'], 'ch']);
    expect(completeHelp(names, '.help ')).toEqual([names, '']);
    expect(completeHelp(names, 'await ch')).toBeNull();
  });

  it('errorLine renders RPC errors as RpcError(code): message', () => {
    expect(errorLine(new RpcError(404, 'Unknown species: X'))).toBe('RpcError(404): Unknown species: X');
    expect(errorLine(new Error('x'))).toBeUndefined();
  });

  it('historyPath honours POLYRPC_HISTORY, else the home directory', () => {
    expect(historyPath({ POLYRPC_HISTORY: '/tmp/h' })).toBe('/tmp/h');
    expect(historyPath({})).toMatch(/\.polyrpc_history$/);
  });
});
