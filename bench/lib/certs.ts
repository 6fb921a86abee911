/**
 * Certificates for the TLS stacks, made by each bench run with the openssl command
 * line (no key is committed): a CA and a server certificate for 127.0.0.1, in a
 * temporary folder named by `POLYRPC_BENCH_CERTS`, which the server and client
 * processes inherit.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ENV names the folder the certificates are in. */
export const CERTS_ENV = 'POLYRPC_BENCH_CERTS';

/** makeBenchCerts writes a CA and a server certificate and sets `POLYRPC_BENCH_CERTS`. */
export function makeBenchCerts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'polyrpc-bench-certs-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=polyrpc bench CA',
  ]);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  process.env[CERTS_ENV] = dir;
  return dir;
}

/** benchCert reads one PEM file of the run's certificates (`ca.crt`, `server.crt`, `server.key`). */
export function benchCert(name: 'ca.crt' | 'server.crt' | 'server.key'): string {
  const dir = process.env[CERTS_ENV];
  if (dir === undefined)
    throw new Error(`bench: ${CERTS_ENV} is not set (the runner makes the certificates)`);
  return readFileSync(join(dir, name), 'utf8');
}

/** BENCH_TOKEN is the token of the authenticated stacks. */
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';
