// The CLI's token mode as users run it: `polyrpc serve --auth-token-file`, clients
// that take the token from the URL, --token or POLYRPC_TOKEN, Python's ServerProxy
// with user:secret@ in its URL and a Python msgpack peer calling rpc.authenticate,
// and the refusal to serve an exposed address unprotected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPython } from '../support/python.js';
import { killAll, runCli, type Served, startServer } from './process.js';

const PYTHON = process.env.POLYRPC_PYTHON ?? '/usr/bin/python3';
const TOKEN = 'tok-3f9a1c77e2';

let dir: string;
let served: Served;

function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'polyrpc-auth-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  served = await startServer(['--auth-token-file', file]);
});

afterAll(async () => {
  await served?.stop();
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('polyrpc serve --auth-token-file', () => {
  it('refuses a call without the token, in one line', async () => {
    // A transport failure (HTTP 401) exits 2; a remote error (-32010) exits 1.
    const http = await runCli(['call', served.xmlrpc, 'add', '1', '2'], { timeoutMs: 60_000 });
    expect(http.code).toBe(2);
    expect(http.stderr.trim().split('\n')).toHaveLength(1);
    expect(http.stderr).toMatch(/401/);
    const tcp = await runCli(['call', served.msgpack, 'add', '1', '2'], { timeoutMs: 60_000 });
    expect(tcp.code).toBe(1);
    expect(tcp.stderr).toMatch(/^-32010: /);
  }, 120_000);

  it("takes the token from the URL's user info, --token, or POLYRPC_TOKEN, on every protocol", async () => {
    // Each protocol once, each way of passing the token twice (a CLI process per call is slow).
    const cases: [string, string[], Record<string, string>][] = [
      [withUser(served.xmlrpc, 'me', TOKEN), [], {}],
      [withUser(served.msgpack, '', TOKEN), [], {}],
      [withUser(served.ws, 'me', TOKEN), [], {}],
      [served.tcp, ['--token', TOKEN], {}],
      [served.msgpackWs, ['--token', TOKEN], {}],
      [served.jsonrpcHttp, [], { POLYRPC_TOKEN: TOKEN }],
    ];
    const runs = await Promise.all(
      cases.map(([url, extra, env], i) =>
        runCli(['call', url, 'add', String(i), '2', ...extra], { env, timeoutMs: 60_000 }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.stderr, cases[i]![0]).toBe('');
      expect(r.stdout, cases[i]![0]).toBe(`${i + 2}\n`);
    });
  }, 60_000);

  it('a wrong token is refused with a clear line', async () => {
    const r = await runCli(['call', served.tcp, 'add', '1', '2', '--token', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/-32010: rpc: authentication failed/);
  });

  it("Python's ServerProxy works unchanged with user:secret@ in the URL, and gets ProtocolError 401 without", async () => {
    const script = `
import sys, xmlrpc.client
good = xmlrpc.client.ServerProxy(sys.argv[1])
print(good.add(20, 22))
print(len(good.system.listMethods()) > 0)
try:
    xmlrpc.client.ServerProxy(sys.argv[2]).add(1, 1)
    print("no error")
except xmlrpc.client.ProtocolError as e:
    print("ProtocolError", e.errcode)
`;
    const good = withUser(served.xmlrpc, 'python', TOKEN);
    const r = await runPython(PYTHON, ['-c', script, good, served.xmlrpc], 15_000);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['42', 'True', 'ProtocolError 401']);
  });

  it('a Python msgpack peer authenticates with rpc.authenticate first', async () => {
    const probe = await runPython(PYTHON, ['-c', 'import msgpack'], 10_000);
    if (probe.code !== 0) throw new Error('python3-msgpack is required (apt-get install python3-msgpack)');
    const script = `
import socket, struct, sys, msgpack
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def send(msg):
    body = msgpack.packb(msg)
    s.sendall(struct.pack(">I", len(body)) + body)
def recv():
    head = b""
    while len(head) < 4: head += s.recv(4 - len(head))
    n = struct.unpack(">I", head)[0]
    body = b""
    while len(body) < n: body += s.recv(n - len(body))
    return msgpack.unpackb(body, raw=False)
send([0, 1, "add", [1, 2]])
print(recv()[2]["code"])
send([0, 2, "rpc.authenticate", [sys.argv[2]]])
send([0, 3, "add", [1, 2]])
print(recv()[3], recv()[3])
`;
    const port = new URL(served.msgpack).port;
    const r = await runPython(PYTHON, ['-c', script, port, TOKEN], 15_000);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['-32010', 'True 3']);
  });
});

describe('safe by default', () => {
  it('refuses a non-loopback --host with neither TLS nor a token, saying what to add', async () => {
    const r = await runCli([
      'serve',
      '--host',
      '0.0.0.0',
      '--http-port',
      '0',
      '--jsonrpc-port',
      '0',
      '--msgpack-port',
      '0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0/);
    expect(r.stderr).toMatch(/--auth-token-file/);
    expect(r.stderr).toMatch(/--insecure/);
  });

  it('an empty token is refused', async () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '\n');
    const r = await runCli(['serve', '--auth-token-file', file, '--http-port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/token from --auth-token-file .* is empty/);
  });
});
