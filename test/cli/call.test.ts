// `polyrpc call` as a real process, against `polyrpc serve` on every scheme and
// against CPython's SimpleXMLRPCServer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, runCli, type Served, type Spawned, spawnCli, startServer, stop } from './process.js';

const PYTHON_SERVER = `
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
s.register_introspection_functions()
def add(a, b):
    """add(a, b) returns a + b."""
    return a + b
def fail():
    raise ValueError("boom")
s.register_function(add)
s.register_function(fail)
s.register_function(lambda n: b"\\x00\\xff" * n, "blob")
print(s.server_address[1], flush=True)
s.serve_forever()
`;

let served: Served;
let python: Spawned;
let pythonUrl: string;

beforeAll(async () => {
  python = spawnCli([], { command: ['/usr/bin/python3', '-c', PYTHON_SERVER] });
  [served] = await Promise.all([startServer(), python.waitFor(/^\d+$/m, 'stdout', 10_000)]);
  pythonUrl = `http://127.0.0.1:${python.stdout().trim()}/RPC2`;
});

afterAll(async () => {
  await Promise.all([served?.stop(), python !== undefined ? stop(python, 2000) : undefined]);
  killAll();
});

const schemes = ['xmlrpc', 'tcp', 'jsonrpcHttp', 'msgpack', 'ws', 'msgpackWs'] as const;

describe.each(schemes)('call over %s', (scheme) => {
  it('prints the result as JSON and exits 0', async () => {
    const r = await runCli(['call', served[scheme], 'add', '2', '3']);
    expect(r).toMatchObject({ code: 0, stdout: '5\n', stderr: '' });
  });

  it('takes strings, JSON values, negative numbers and named params', async () => {
    const lookup = await runCli(['call', served[scheme], 'credentials.lookup', 'Time Lord']);
    expect(lookup.stdout).toBe('"Rassilon"\n');
    const echo = await runCli(['call', served[scheme], 'echo', '{"a":[1,-2.5,"x"],"b":true}', '--compact']);
    expect(JSON.parse(echo.stdout)).toEqual({ a: [1, -2.5, 'x'], b: true });
    const negative = await runCli(['call', served[scheme], 'add', '-3', '-4.5']);
    expect(negative.stdout).toBe('-7.5\n');
    const named = await runCli(['call', served[scheme], 'hypotenuse', '--named', '{"a":3,"b":4}']);
    if (scheme === 'xmlrpc') {
      // XML-RPC has no named parameters: a one-line refusal, no call sent.
      expect(named).toMatchObject({ code: 2, stdout: '' });
      expect(named.stderr).toMatch(
        /^polyrpc call: xmlrpc: hypotenuse: XML-RPC has positional parameters only/,
      );
    } else {
      expect(named).toMatchObject({ code: 0, stdout: '5\n' });
    }
  });

  it('prints "code: message" on stderr and exits 1 for an RPC error', async () => {
    const r = await runCli(['call', served[scheme], 'credentials.lookup', 'Nobody']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: '404: Unknown species: Nobody\n' });
    const missing = await runCli(['call', served[scheme], 'no.such']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^-32601: /);
  });
});

describe('call with the URLs serve prints (issue 10 item 5)', () => {
  // One process per listener, all at once (spawning is the slow part on a loaded machine).
  it("takes every listener line's URL unchanged", { timeout: 60_000 }, async () => {
    const lines = served.lines.filter((l) => !l.startsWith('explorer '));
    // xmlrpc, jsonrpc (HTTP), websocket ws:// and msgpack+ws://, jsonrpc (TCP), msgpack and msgpack+bare.
    expect(lines).toHaveLength(7);
    expect(served.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    expect(served.msgpackWs).toMatch(/^msgpack\+ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const runs = await Promise.all(
      lines.map((line) =>
        runCli(['call', line.split(' ')[1]!, 'hypotenuse', '--named', '{"a":3,"b":4}', '--compact']),
      ),
    );
    runs.forEach((r, i) => {
      const line = lines[i]!;
      // XML-RPC refuses --named (positional parameters only); the rest answer 5.
      if (line.startsWith('xmlrpc ')) expect(r, line).toMatchObject({ code: 2, stdout: '' });
      else expect(r, line).toMatchObject({ code: 0, stdout: '5\n', stderr: '' });
    });
    const xml = served.lines.find((l) => l.startsWith('xmlrpc '))!.split(' ')[1]!;
    expect(await runCli(['call', xml, 'add', '2', '3'])).toMatchObject({ code: 0, stdout: '5\n' });
  });
});

describe('call output', () => {
  it('prints dates as ISO strings (chat.send over msgpack, msgpack+ws and xmlrpc)', async () => {
    for (const url of [served.msgpack, served.msgpackWs, served.xmlrpc]) {
      const r = await runCli(['call', url, 'chat.send', 'call-test', 'hi', 'amy']);
      expect(r.code).toBe(0);
      const m = JSON.parse(r.stdout) as { at: string; nick: string; text: string };
      expect(m).toMatchObject({ nick: 'amy', text: 'hi', room: 'call-test' });
      expect(new Date(m.at).toISOString()).toBe(m.at);
    }
  });
});

describe('call failures', () => {
  it('exits 2 with one line when nothing listens', async () => {
    for (const url of [
      'tcp://127.0.0.1:1',
      'http://127.0.0.1:1/RPC2',
      'msgpack://127.0.0.1:1',
      'ws://127.0.0.1:1/ws',
      'msgpack+ws://127.0.0.1:1/ws',
    ]) {
      const r = await runCli(['call', url, 'add', '1', '2']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot connect.*ECONNREFUSED/);
    }
  });

  it('exits 2 for usage mistakes', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['call'], /missing <url>/],
      [['call', served.tcp], /missing <method>/],
      [['call', served.tcp, 'add', '--bogus'], /unknown option --bogus/],
      [['call', 'not a url', 'add'], /not a URL/],
      [['call', 'gopher://x', 'add'], /no protocol for gopher:/],
      [['call', served.tcp, 'add', '1', '--named', '{}'], /either positional args or --named/],
      [['call', served.tcp, 'add', '--timeout', 'soon'], /--timeout must be a duration/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  });

  it('prints help with examples and exits 0', async () => {
    const top = await runCli(['--help']);
    expect(top).toMatchObject({ code: 0 });
    expect(top.stdout).toMatch(/Commands:[\s\S]*serve[\s\S]*call[\s\S]*repl[\s\S]*chat/);
    for (const command of ['serve', 'call', 'repl', 'chat']) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: polyrpc ${command}[\\s\\S]*Examples:`));
    }
  });
});

describe('call against CPython SimpleXMLRPCServer', () => {
  it('calls, reads faults, binary and introspection', async () => {
    expect(await runCli(['call', pythonUrl, 'add', '2', '3'])).toMatchObject({ code: 0, stdout: '5\n' });
    const fault = await runCli(['call', pythonUrl, 'fail']);
    expect(fault.code).toBe(1);
    expect(fault.stderr).toMatch(/^1: .*ValueError.*boom\n$/);
    const blob = await runCli(['call', pythonUrl, 'blob', '2']);
    expect(JSON.parse(blob.stdout)).toBe(Buffer.from([0, 255, 0, 255]).toString('base64'));
    const names = await runCli(['call', pythonUrl, 'system.listMethods', '--compact']);
    expect(JSON.parse(names.stdout)).toContain('add');
  });
});
