/**
 * Test certificates, made fresh by each test run with the openssl command line (no
 * key is ever committed): a test CA, a server certificate for 127.0.0.1 / localhost,
 * and a client certificate (CN=alice) for mutual TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certs holds PEM texts and the files they were written to. */
export interface Certs {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second CA nobody trusts, and a server certificate it signed. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  readonly files: { readonly ca: string; readonly serverCert: string; readonly serverKey: string };
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function issue(dir: string, name: string, ca: string, subject: string, ext: string): void {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

/** makeCerts writes a fresh CA, server and client certificates to a temporary folder. */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'polyrpc-certs-'));
  for (const ca of ['ca', 'rogue-ca'])
    openssl(dir, [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=polyrpc ${ca}`,
    ]);
  const server = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  issue(dir, 'server', 'ca', '/CN=localhost', server);
  issue(dir, 'rogue', 'rogue-ca', '/CN=localhost', server);
  issue(dir, 'client', 'ca', '/CN=alice/O=Example', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    rogueCert: read('rogue.crt'),
    rogueKey: read('rogue.key'),
    files: {
      ca: join(dir, 'ca.crt'),
      serverCert: join(dir, 'server.crt'),
      serverKey: join(dir, 'server.key'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
