/**
 * TLS interop with software nobody here wrote: Python's `xmlrpc.client` over HTTPS
 * with an ssl context trusting the test CA, Python's `ssl` + `msgpack` on the msgpack
 * TLS port, jayson's TLS client on the JSON-RPC TLS port, `openssl s_client` showing
 * the certificate, and `polyrpc serve --tls-*` with `polyrpc call`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import jayson from 'jayson';
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { protocols } from '../../src/transport/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { runCli, startServer, stop } from '../cli/process.js';
import { makeCerts } from '../support/certs.js';

const run = promisify(execFile);
const certs = makeCerts();
const server: RpcServer = await serve(createDemoService(), {
  httpPort: 0,
  ports: Object.fromEntries(protocols.filter((p) => p.stream !== undefined).map((p) => [p.name, 0])),
  logger: { debug() {}, error() {} },
  tls: { cert: certs.serverCert, key: certs.serverKey },
});
afterAll(async () => {
  await server.close(500);
  certs.remove();
});
const urlOf = (scheme: string): URL =>
  new URL(server.listeners.find((l) => l.clientUrl.startsWith(`${scheme}://`))!.clientUrl);
const python = (script: string, ...args: string[]) =>
  run('/usr/bin/python3', ['-c', script, ...args], { timeout: 20_000 }).then((r) => r.stdout.trim());

describe('tls interop', () => {
  it('Python xmlrpc.client over HTTPS, trusting the test CA', async () => {
    const out = await python(
      `import ssl, sys, xmlrpc.client
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = xmlrpc.client.ServerProxy(sys.argv[1], context=ctx, allow_none=True, use_builtin_types=True)
print(s.add(2, 3), s.credentials.lookup('Time Lord'))
try:
    s.credentials.lookup('Nobody')
except xmlrpc.client.Fault as f:
    print(f.faultCode, f.faultString)`,
      urlOf('https').href,
      certs.files.ca,
    );
    expect(out.split('\n')).toEqual(['5 Rassilon', '404 Unknown species: Nobody']);
  });

  it('Python ssl + msgpack on the msgpack TLS port', async () => {
    const url = urlOf('msgpack+tls');
    const out = await python(
      `import socket, ssl, struct, sys, msgpack
ctx = ssl.create_default_context(cafile=sys.argv[3])
with ctx.wrap_socket(socket.create_connection((sys.argv[1], int(sys.argv[2]))), server_hostname='localhost') as s:
    body = msgpack.packb([0, 1, 'hypotenuse', [3, 4]])
    s.sendall(struct.pack('>I', len(body)) + body)
    n = struct.unpack('>I', s.recv(4))[0]
    data = b''
    while len(data) < n: data += s.recv(n - len(data))
    print(msgpack.unpackb(data))`,
      url.hostname,
      url.port,
      certs.files.ca,
    );
    expect(out).toBe('[1, 1, None, 5]');
  });

  it("jayson's TLS client on the JSON-RPC TLS port", async () => {
    const url = urlOf('jsonrpc+tls');
    const client = jayson.Client.tls({
      host: url.hostname,
      port: Number(url.port),
      ca: certs.ca,
      servername: 'localhost',
    });
    const result = await new Promise<unknown>((resolve, reject) =>
      client.request('credentials.lookup', ['Dalek'], (err: unknown, response: { result?: unknown }) =>
        err ? reject(err) : resolve(response.result),
      ),
    );
    expect(result).toBe('Davros');
  });

  it('openssl s_client shows the certificate', async () => {
    const url = urlOf('msgpack+tls');
    // stdin from /dev/null: s_client prints the handshake and exits at once.
    const { stdout } = await run(
      'sh',
      [
        '-c',
        'openssl s_client -connect "$1" -CAfile "$2" -servername localhost </dev/null',
        'sh',
        `${url.hostname}:${url.port}`,
        certs.files.ca,
      ],
      { timeout: 10_000 },
    );
    expect(stdout).toMatch(/subject=.*CN\s*=\s*localhost/);
    expect(stdout).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it('polyrpc serve --tls-cert --tls-key, and polyrpc call with POLYRPC_TLS_CA', {
    timeout: 60_000,
  }, async () => {
    const served = await startServer([
      '--tls-cert',
      certs.files.serverCert,
      '--tls-key',
      certs.files.serverKey,
    ]);
    try {
      const secure = served.lines.map((l) => l.split(' ')[1]!);
      expect(secure.every((u) => /^(https|wss|msgpack\+wss|jsonrpc\+tls|msgpack\+tls):/.test(u))).toBe(true);
      const env = { POLYRPC_TLS_CA: certs.files.ca };
      for (const u of secure) {
        const r = await runCli(['call', u, 'add', '2', '3'], { env });
        expect(r, u).toMatchObject({ code: 0, stdout: '5\n' });
      }
      const untrusted = await runCli([
        'call',
        secure.find((u) => u.startsWith('msgpack+tls'))!,
        'add',
        '1',
        '1',
      ]);
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(/cannot connect.*(certificate|self.signed|issuer)/i);
    } finally {
      await stop(served.proc);
    }
  });
});
