// Issue 10 item 8: the CLI's version, its error prefixes, wrong-port hints, the same
// connection-refused line on every protocol, and the REPL's procedure listing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner, leftOutOfScope, procedureList } from '../../src/cli/repl.js';
import { killAll, ROOT, runCli, type Served, startServer } from './process.js';

let served: Served;

beforeAll(async () => {
  served = await startServer();
});

afterAll(async () => {
  await served?.stop();
  killAll();
});

const portOf = (url: string): string => new URL(url).port;

describe('polyrpc --version', () => {
  it.each(['--version', '-v'])('%s prints the package version', async (flag) => {
    const { version } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
    expect(await runCli([flag])).toMatchObject({ code: 0, stdout: `polyrpc ${version}\n`, stderr: '' });
  });
});

describe('error prefixes', () => {
  it.each([
    [['call'], 'polyrpc call: missing <url>'],
    [['repl'], 'polyrpc repl: missing <url>'],
    [['chat'], 'polyrpc chat: missing <url>'],
    [['serve', '--log-level', 'loud'], 'polyrpc serve: --log-level must be one of error, info, debug'],
  ])('%j reads "%s" once', async (args, line) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(line);
  });
});

describe('calling the wrong port', () => {
  it('msgpack to the JSON-RPC TCP port says the answer is not msgpack and asks if it is a msgpack port', async () => {
    const r = await runCli(['call', `msgpack://127.0.0.1:${portOf(served.tcp)}`, 'add', '1', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /(closed the connection without a reply|answer cannot be read).*; is this the msgpack port \(msgpack:\/\/host:port\)\? serve prints one listener line per protocol\n$/,
    );
  });

  it('JSON-RPC over TCP to the msgpack port asks if it is a JSON-RPC port', async () => {
    const r = await runCli(['call', `tcp://127.0.0.1:${portOf(served.msgpack)}`, 'add', '1', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /is this the jsonrpc port \(tcp:\/\/host:port\)\? serve prints one listener line per protocol\n$/,
    );
  });

  it('XML-RPC to a TCP port says the server did not answer in HTTP', async () => {
    const r = await runCli(['call', `http://127.0.0.1:${portOf(served.msgpack)}/RPC2`, 'add', '1', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the server did not answer in HTTP; is this the HTTP port/);
  });

  it('XML-RPC on the JSON-RPC path names the endpoint to use', async () => {
    const url = served.xmlrpc.replace(/^http:/, 'xmlrpc+http:').replace(/\/RPC2$/, '/jsonrpc');
    const r = await runCli(['call', url, 'add', '1', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^polyrpc: bad reply: .*; is this the xmlrpc endpoint \(http:\/\/host:port\/RPC2\)/,
    );
  });
});

describe('connection refused', () => {
  it('reads the same on every protocol', { timeout: 60_000 }, async () => {
    const urls = [
      'http://127.0.0.1:1/RPC2',
      'http://127.0.0.1:1/jsonrpc',
      'tcp://127.0.0.1:1',
      'msgpack://127.0.0.1:1',
      'ws://127.0.0.1:1/ws',
      'msgpack+ws://127.0.0.1:1/ws',
    ];
    const runs = await Promise.all(urls.map((url) => runCli(['call', url, 'add', '1', '2'])));
    runs.forEach((r, i) => {
      expect(r.code, urls[i]).toBe(2);
      expect(r.stderr, urls[i]).toMatch(
        /^polyrpc: (xmlrpc|jsonrpc|msgpack|websocket): cannot connect to 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
      );
    });
  });
});

describe('repl listing', () => {
  it('.help alone lists every procedure system.listMethods gives', async () => {
    const names = JSON.parse(
      (await runCli(['call', served.msgpack, 'system.listMethods', '--compact'])).stdout,
    );
    const r = await runCli(['repl', served.msgpack], { input: '.help\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Remote procedures (${names.length};`);
    for (const name of names as string[]) expect(r.stdout).toContain(`\n  ${name}\n`);
    expect(r.stdout).toMatch(/REPL commands:\n[\s\S]*\.exit/);
  });

  it('the banner counts what system.listMethods lists and names what is left out of scope', () => {
    const names = ['add', 'console.log', 'system.listMethods', 'rpc.discover'];
    const leftOut = leftOutOfScope(names, (n) => n === 'console');
    expect(leftOut).toEqual(['console.log']);
    const line = banner(new URL('tcp://127.0.0.1:8001'), 'jsonrpc', names, leftOut);
    expect(line).toContain('4 procedures (2 + 2 built-in system.*/rpc.*)');
    expect(line).toContain("not in scope, call with $call('name', ...): console.log");
    expect(procedureList([])).toMatch(/none listed/);
  });
});
