// `polyrpc serve` as a real process: listener lines, protocol switches, user
// modules, debug logging, and a clean exit on SIGTERM/SIGINT.
import { afterAll, describe, expect, it } from 'vitest';
import { exitWithin, killAll, runCli, spawnCli, startServer, stop } from './process.js';

afterAll(killAll);

describe('serve', () => {
  it('prints one line per listener and exits 0 quickly on SIGTERM', async () => {
    const served = await startServer();
    // Seven listeners, then the explorer page (served by default on loopback).
    expect(served.lines).toHaveLength(8);
    expect(served.lines[0]).toMatch(/^xmlrpc http:\/\/127\.0\.0\.1:\d+\/RPC2$/);
    const port = new URL(served.xmlrpc).port;
    expect(served.lines[7]).toBe(`explorer http://127.0.0.1:${port}/`);
    expect(served.lines).toContainEqual(
      expect.stringMatching(/^jsonrpc http:\/\/127\.0\.0\.1:\d+\/jsonrpc$/),
    );
    expect(served.lines).toContainEqual(expect.stringMatching(/^jsonrpc tcp:\/\/127\.0\.0\.1:\d+$/));
    expect(served.lines).toContainEqual(expect.stringMatching(/^msgpack msgpack:\/\/127\.0\.0\.1:\d+$/));
    expect(served.lines).toContainEqual(
      expect.stringMatching(/^msgpack msgpack\+bare:\/\/127\.0\.0\.1:\d+$/),
    );
    expect(served.lines).toContainEqual(expect.stringMatching(/^websocket ws:\/\/127\.0\.0\.1:\d+\/ws$/));
    expect(served.lines).toContainEqual(
      expect.stringMatching(/^websocket msgpack\+ws:\/\/127\.0\.0\.1:\d+\/ws$/),
    );
    expect((await runCli(['call', served.tcp, 'add', '1', '1'])).stdout).toBe('2\n');
    const started = Date.now();
    const exit = await served.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5000);
    // The ports are closed.
    expect((await runCli(['call', served.tcp, 'add', '1', '1'])).code).toBe(2);
  });

  it('exits 0 on SIGINT while a client holds a connection open', async () => {
    const served = await startServer();
    const chat = spawnCli(['chat', served.tcp, 'held', '--nick', 'x']);
    await chat.waitFor(/joined held/, 'stderr');
    const started = Date.now();
    served.proc.child.kill('SIGINT');
    const exit = await exitWithin(served.proc, 8000);
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    // The chat client is told the server is going away (rpc.goaway), says so, and keeps
    // trying to reconnect (issue 15) until it is interrupted.
    await chat.waitFor(
      /the server is going away \(shutting down\); moving to a new connection/,
      'stderr',
      5000,
    );
    expect((await stop(chat)).code).toBe(0);
  });

  it('leaves protocols out with --no-<name> and --protocols', async () => {
    const a = await runServeLines(['--no-msgpack', '--no-xmlrpc', '--no-websocket']);
    expect(a.map((l) => l.split(' ')[0])).toEqual(['jsonrpc', 'jsonrpc']);
    const b = await runServeLines(['--protocols', 'msgpack']);
    expect(b).toEqual([
      expect.stringMatching(/^msgpack msgpack:\/\//),
      expect.stringMatching(/^msgpack msgpack\+bare:\/\//),
    ]);
  });

  // Off loopback (off by default, on with --explorer) is tested on serve() itself
  // (test/explorer/serve-static.test.ts), without binding a public address.
  it('leaves the explorer out with --no-explorer, and out with the WebSocket it needs', async () => {
    const off = await runServeLines(['--no-explorer']);
    expect(off).toHaveLength(7);
    expect(off.some((l) => l.startsWith('explorer '))).toBe(false);
    const noWs = await runServeLines(['--no-websocket', '--explorer']);
    expect(noWs.map((l) => l.split(' ')[0])).toEqual(['xmlrpc', 'jsonrpc', 'jsonrpc', 'msgpack', 'msgpack']);
  });

  it('logs each call at debug level', async () => {
    const served = await startServer(['--log-level', 'debug']);
    await runCli(['call', served.msgpack, 'add', '2', '2']);
    await runCli(['call', served.xmlrpc, 'credentials.lookup', 'Nobody']);
    await served.proc.waitFor(/^call add msgpack 127\.0\.0\.1:\d+ [\d.]+ms ok$/m, 'stderr');
    await served.proc.waitFor(
      /^call credentials\.lookup xmlrpc 127\.0\.0\.1:\d+ [\d.]+ms error 404$/m,
      'stderr',
    );
    expect((await served.stop()).code).toBe(0);
  });

  it('serves a TypeScript module (default export) and a JavaScript one (named `service`)', async () => {
    const ts = await startServer(['test/cli/fixtures/greeter-service.ts', '--protocols', 'jsonrpc']);
    expect((await runCli(['call', ts.tcp, 'greet', 'Amy'])).stdout).toBe('"hello, Amy"\n');
    const js = await startServer(['test/cli/fixtures/named-service.mjs']);
    expect((await runCli(['call', js.msgpack, 'twice', '21'])).stdout).toBe('42\n');
    await Promise.all([ts.stop(), js.stop()]);
  });

  it('exits 2 with one line for a bad module, a taken port or a bad flag', async () => {
    const missing = await runCli(['serve', 'test/cli/fixtures/nope.mjs', '--http-port', '0']);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/no such module/);
    const notService = await runCli(['serve', 'test/cli/fixtures/not-a-service.mjs']);
    expect(notService.code).toBe(2);
    expect(notService.stderr).toMatch(/must export a service/);
    const level = await runCli(['serve', '--log-level', 'loud']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/--log-level must be one of error, info, debug/);
    const badPort = await runCli(['serve', '--http-port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--http-port must be a port number/);

    const served = await startServer(['--protocols', 'jsonrpc']);
    const port = new URL(served.tcp).port;
    const taken = await runCli(['serve', '--http-port', '0', '--jsonrpc-port', port, '--msgpack-port', '0']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/address already in use/);
    await served.stop();
  });
});

// runServeLines starts serve with `args` on ephemeral ports, reads its listener
// lines (printed together) and stops it.
async function runServeLines(args: string[]): Promise<string[]> {
  const p = spawnCli(['serve', '--http-port', '0', '--jsonrpc-port', '0', '--msgpack-port', '0', ...args]);
  await p.waitFor(/\n/, 'stdout');
  await new Promise((r) => setTimeout(r, 200));
  const lines = p.stdout().trim().split('\n');
  expect((await stop(p)).code).toBe(0);
  return lines;
}
