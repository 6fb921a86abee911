/**
 * TLS on every listener, with certificates this test makes: every protocol's client
 * over its secure URL, verification on by default (an untrusted certificate is a
 * connect error), the loudly named way to turn it off, and mutual TLS with the client
 * certificate's subject in the call context.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService } from '../../src/demo/service.js';
import { defineService, procedure } from '../../src/rpc/service.js';
import { createClient } from '../../src/sdk/index.js';
import { protocols } from '../../src/transport/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { makeCerts } from '../support/certs.js';

const certs = makeCerts();
const quiet = { debug() {}, error() {} };
const ports = Object.fromEntries(protocols.filter((p) => p.stream !== undefined).map((p) => [p.name, 0]));
const demo = createDemoService();
const service = defineService({
  ...demo.tree,
  whoami: procedure({
    doc: 'whoami() is the CN of the client certificate, or "anonymous".',
    params: [],
    result: z.string(),
    handler: (_args, ctx) => ctx.peer?.certificate?.subject.CN ?? 'anonymous',
  }),
});
const server: RpcServer = await serve(service, {
  httpPort: 0,
  ports,
  logger: quiet,
  tls: { cert: certs.serverCert, key: certs.serverKey },
});
const rogue: RpcServer = await serve(service, {
  httpPort: 0,
  ports,
  logger: quiet,
  tls: { cert: certs.rogueCert, key: certs.rogueKey },
});
const mutual: RpcServer = await serve(service, {
  httpPort: 0,
  ports,
  logger: quiet,
  tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestClientCert: true },
});
// Mutual TLS as the credential: the hook sees the verified certificate, its identity is ctx.auth.
const certAuth = defineService({
  whoami: procedure({
    doc: 'whoami() is the identity the authenticate hook gave this connection.',
    params: [],
    result: z.string(),
    handler: (_args, ctx) => String((ctx.auth as { cn?: string } | undefined)?.cn),
  }),
});
const mutualAuth: RpcServer = await serve(certAuth, {
  httpPort: 0,
  ports,
  logger: quiet,
  tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestClientCert: true },
  authenticate: (credentials) =>
    credentials.scheme === 'certificate' ? { cn: credentials.certificate.subject.CN } : undefined,
});
afterAll(async () => {
  await Promise.all([server.close(500), rogue.close(500), mutual.close(500), mutualAuth.close(500)]);
  certs.remove();
});

const trusted = { tls: { ca: certs.ca }, timeout: 5000 };

describe('tls listeners', () => {
  it('lists only secure URLs', () => {
    for (const l of server.listeners)
      expect(l.clientUrl, l.clientUrl).toMatch(
        /^(https|jsonrpc\+https|wss|msgpack\+wss|jsonrpc\+tls|msgpack\+tls):\/\//,
      );
    expect(server.listeners.map((l) => l.clientUrl.split(':')[0]).sort()).toEqual(
      ['https', 'jsonrpc+https', 'jsonrpc+tls', 'msgpack+tls', 'msgpack+wss', 'wss'].sort(),
    );
  });

  it.each(server.listeners.map((l) => [l.clientUrl]))(
    'calls over %s with the test CA trusted',
    async (url) => {
      const rpc = createClient<typeof service>(url, trusted);
      try {
        expect(await rpc.add(2, 3)).toBe(5);
        await expect(rpc.credentials.lookup('Nobody')).rejects.toMatchObject({ code: 404 });
        expect(await rpc.whoami()).toBe('anonymous');
      } finally {
        await rpc.$close();
      }
    },
  );

  it.each(rogue.listeners.map((l) => [l.clientUrl]))(
    'refuses an untrusted certificate at %s',
    async (url) => {
      const rpc = createClient<typeof service>(url, trusted);
      try {
        await expect(rpc.add(2, 3)).rejects.toMatchObject({ name: 'TransportError', reason: 'connect' });
      } finally {
        await rpc.$close();
      }
      const insecure = createClient<typeof service>(url, {
        tls: { insecureSkipVerify: true },
        timeout: 5000,
      });
      try {
        expect(await insecure.add(2, 3)).toBe(5);
      } finally {
        await insecure.$close();
      }
    },
  );

  it.each(mutual.listeners.map((l) => [l.clientUrl]))(
    'mutual TLS at %s: the subject reaches the handler',
    async (url) => {
      const withCert = { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, timeout: 5000 };
      const rpc = createClient<typeof service>(url, withCert);
      try {
        expect(await rpc.whoami()).toBe('alice');
      } finally {
        await rpc.$close();
      }
      const anonymous = createClient<typeof service>(url, trusted);
      try {
        await expect(anonymous.add(1, 1)).rejects.toMatchObject({ name: 'TransportError' });
      } finally {
        await anonymous.$close();
      }
    },
  );

  it.each(mutualAuth.listeners.map((l) => [l.clientUrl]))(
    'mutual TLS as the credential at %s: the certificate authenticates, no token needed',
    async (url) => {
      const withCert = { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, timeout: 5000 };
      const rpc = createClient<typeof certAuth>(url, withCert);
      try {
        expect(await rpc.whoami()).toBe('alice');
        expect(await rpc.whoami()).toBe('alice');
      } finally {
        await rpc.$close();
      }
    },
  );
});
