/**
 * Authentication and authorization on every endpoint `serve()` opens: the same
 * service, the same identities, whatever the wire. Credentials travel as the
 * Authorization header over HTTP and as `rpc.authenticate` on connections; refusals
 * are 401 (HTTP) or -32010/-32011, and introspection lists only what the caller may call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Authenticate,
  Code,
  createClient,
  defineService,
  guard,
  param,
  procedure,
  protocols,
  type RpcServer,
  serve,
  subscription,
  TransportError,
} from '../../src/index.js';
import { startChaosProxy } from '../support/chaos-proxy.js';
import { connectWire, nextReply, type WireProtocol } from '../support/wire.js';
import { type Endpoint, endpointsOf, failure, quiet, rejection } from './endpoints.js';

interface Identity {
  readonly user: string;
  readonly admin: boolean;
}

const TOKENS: Readonly<Record<string, Identity>> = {
  'alice-token': { user: 'alice', admin: true },
  'bob-token': { user: 'bob', admin: false },
};

let hookCalls = 0;
const authenticate: Authenticate = (credentials) => {
  hookCalls++;
  const secret =
    credentials.scheme === 'bearer'
      ? credentials.token
      : credentials.scheme === 'basic'
        ? credentials.password
        : undefined;
  return secret === undefined ? undefined : TOKENS[secret];
};

const isAdmin = (auth: unknown): boolean => (auth as Identity | undefined)?.admin === true;

const service = defineService({
  whoami: procedure({
    doc: 'whoami() returns the caller identity user name.',
    params: [],
    result: z.string(),
    handler: (_args, ctx) => (ctx.auth as Identity).user,
  }),
  echo: procedure({
    doc: 'echo(x) returns x.',
    params: [param('x', z.string())],
    result: z.string(),
    handler: ({ x }) => x,
  }),
  secret: procedure({
    doc: 'secret() is for administrators only (a per-procedure rule).',
    params: [],
    result: z.string(),
    allow: isAdmin,
    handler: () => 'the cake is a lie',
  }),
  admin: {
    reset: procedure({
      doc: 'admin.reset() is guarded by the admin namespace rule.',
      params: [],
      result: z.boolean(),
      handler: () => true,
    }),
  },
  ticks: subscription({
    doc: 'ticks(n) pushes the caller name n times.',
    params: [param('n', z.number().int().min(0).max(100))],
    event: z.string(),
    handler: async function* ({ n }, ctx) {
      for (let i = 0; i < n; i++) yield (ctx.auth as Identity).user;
    },
  }),
});

let server: RpcServer;
let endpoints: Endpoint[];

beforeAll(async () => {
  const ports = Object.fromEntries(protocols.filter((p) => p.stream !== undefined).map((p) => [p.name, 0]));
  server = await serve(service, {
    httpPort: 0,
    ports,
    logger: quiet,
    explorer: false,
    authenticate,
    middleware: [guard('admin', isAdmin)],
  });
  endpoints = endpointsOf(server);
});

afterAll(async () => {
  await server?.close();
});

function withUserInfo(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

// Each endpoint, by name: the table is built from what serve() opened.
const names = (): string[] => endpoints.map((e) => e.name);

describe('authentication on every endpoint', () => {
  it('serves several endpoints (sanity)', () => {
    expect(names().length).toBeGreaterThanOrEqual(6);
  });

  it('refuses an anonymous caller: 401 over HTTP, -32010 on a connection', async () => {
    for (const e of endpoints) {
      const rpc = createClient<typeof service>(e.url, { reconnect: false });
      try {
        const err = await rejection(rpc.echo('hi'));
        if (e.carrier === 'http') {
          expect(err, e.name).toBeInstanceOf(TransportError);
          expect((err as TransportError).status, e.name).toBe(401);
        } else {
          expect((err as { code?: number }).code, e.name).toBe(Code.Unauthenticated);
        }
      } finally {
        await rpc.$close();
      }
    }
  });

  it('accepts a token from ClientOptions.auth, and handlers see ctx.auth', async () => {
    for (const e of endpoints) {
      const rpc = createClient<typeof service>(e.url, { auth: 'bob-token' });
      try {
        expect(await rpc.whoami(), e.name).toBe('bob');
        expect(await rpc.echo('x'), e.name).toBe('x');
      } finally {
        await rpc.$close();
      }
    }
  });

  it("accepts the URL's user info: user:password as Basic, :token as a token", async () => {
    for (const e of endpoints) {
      for (const url of [
        withUserInfo(e.url, 'someone', 'alice-token'),
        withUserInfo(e.url, '', 'alice-token'),
      ]) {
        const rpc = createClient<typeof service>(url);
        try {
          expect(await rpc.whoami(), `${e.name} ${url}`).toBe('alice');
        } finally {
          await rpc.$close();
        }
      }
    }
  });

  it('refuses a wrong credential with a message that says it was refused', async () => {
    for (const e of endpoints) {
      const rpc = createClient<typeof service>(e.url, { auth: 'nope', reconnect: false });
      try {
        const err = await rejection(rpc.echo('hi'));
        if (e.carrier === 'http') expect((err as TransportError).status, e.name).toBe(401);
        else {
          expect((err as { code?: number }).code, e.name).toBe(Code.Unauthenticated);
          expect((err as Error).message, e.name).toMatch(/authentication failed/);
        }
      } finally {
        await rpc.$close();
      }
    }
  });

  it('a per-procedure rule and a namespace guard: -32011 for an identity they refuse', async () => {
    for (const e of endpoints) {
      const bob = createClient<typeof service>(e.url, { auth: 'bob-token' });
      const alice = createClient<typeof service>(e.url, { auth: 'alice-token' });
      try {
        expect((await failure(bob.secret())).code, e.name).toBe(Code.Forbidden);
        expect((await failure(bob.admin.reset())).code, e.name).toBe(Code.Forbidden);
        expect(await alice.secret(), e.name).toBe('the cake is a lie');
        expect(await alice.admin.reset(), e.name).toBe(true);
      } finally {
        await Promise.all([bob.$close(), alice.$close()]);
      }
    }
  });

  it('introspection lists only what the caller may call', async () => {
    for (const e of endpoints) {
      const bob = createClient<Record<string, never>>(e.url, { auth: 'bob-token' }).$transport;
      const alice = createClient<Record<string, never>>(e.url, { auth: 'alice-token' }).$transport;
      try {
        const bobs = (await bob.call({ method: 'system.listMethods', params: [] })) as string[];
        const alices = (await alice.call({ method: 'system.listMethods', params: [] })) as string[];
        expect(bobs, e.name).not.toContain('secret');
        expect(bobs, e.name).not.toContain('admin.reset');
        expect(bobs, e.name).toContain('whoami');
        expect(alices, e.name).toEqual(expect.arrayContaining(['secret', 'admin.reset', 'whoami']));
        const doc = (await bob.call({ method: 'rpc.discover', params: [] })) as {
          methods: { name: string }[];
        };
        expect(
          doc.methods.map((m) => m.name),
          e.name,
        ).not.toContain('secret');
        const help = await rejection(bob.call({ method: 'system.methodHelp', params: ['secret'] }));
        expect((help as { code?: number }).code, e.name).toBe(Code.MethodNotFound);
      } finally {
        await Promise.all([bob.close(), alice.close()]);
      }
    }
  });

  it('subscriptions carry the identity on connections', async () => {
    for (const e of endpoints.filter((x) => x.push)) {
      const rpc = createClient<typeof service>(e.url, { auth: 'alice-token' });
      try {
        const seen: string[] = [];
        for await (const who of rpc.ticks(3)) seen.push(who);
        expect(seen, e.name).toEqual(['alice', 'alice', 'alice']);
      } finally {
        await rpc.$close();
      }
    }
  });
});

describe('rpc.authenticate on the wire', () => {
  const stream = (): { protocol: WireProtocol; port: number }[] =>
    endpoints
      .filter((e) => e.carrier === 'tcp' || e.carrier === 'msgpack+bare')
      .map((e) => ({
        protocol: (e.carrier === 'msgpack+bare' ? 'msgpack+bare' : e.protocol) as WireProtocol,
        port: e.port,
      }));

  it('refuses calls before it, holds calls pipelined behind it, and answers in order', async () => {
    for (const { protocol, port } of stream()) {
      const sock = await connectWire(protocol, port);
      try {
        sock.send({ id: 1, method: 'echo', params: ['early'] });
        const early = await nextReply(sock);
        expect(early.kind === 'reply' && early.error?.code, protocol).toBe(Code.Unauthenticated);
        sock.send({ id: 2, method: 'rpc.authenticate', params: ['bob-token'] });
        sock.send({ id: 3, method: 'whoami', params: [] });
        const auth = await nextReply(sock);
        const who = await nextReply(sock);
        expect(auth, protocol).toMatchObject({ kind: 'reply', id: 2, result: true });
        expect(who, protocol).toMatchObject({ kind: 'reply', id: 3, result: 'bob' });
      } finally {
        sock.socket.destroy();
      }
    }
  });

  it('closes the connection after 5 refused attempts', async () => {
    for (const { protocol, port } of stream()) {
      const sock = await connectWire(protocol, port);
      try {
        for (let i = 1; i <= 5; i++) {
          sock.send({ id: i, method: 'rpc.authenticate', params: [`guess-${i}`] });
          const r = await nextReply(sock);
          expect(r.kind === 'reply' && r.error?.code, `${protocol} attempt ${i}`).toBe(Code.Unauthenticated);
        }
        await sock.ended;
        expect(await nextReply(sock), protocol).toEqual({ kind: 'closed' });
      } finally {
        sock.socket.destroy();
      }
    }
  });

  it('a malformed credential is -32602 and does not authenticate', async () => {
    const { protocol, port } = stream()[0]!;
    const sock = await connectWire(protocol, port);
    try {
      sock.send({ id: 1, method: 'rpc.authenticate', params: [42] });
      const r = await nextReply(sock);
      expect(r.kind === 'reply' && r.error?.code).toBe(Code.InvalidParams);
      sock.send({ id: 2, method: 'whoami', params: [] });
      const r2 = await nextReply(sock);
      expect(r2.kind === 'reply' && r2.error?.code).toBe(Code.Unauthenticated);
    } finally {
      sock.socket.destroy();
    }
  });

  it('the hook runs once per connection, not once per call', async () => {
    const e = endpoints.find((x) => x.carrier === 'tcp')!;
    const rpc = createClient<typeof service>(e.url, { auth: 'bob-token' });
    try {
      await rpc.echo('warm');
      const before = hookCalls;
      for (let i = 0; i < 50; i++) await rpc.echo(String(i));
      expect(hookCalls).toBe(before);
    } finally {
      await rpc.$close();
    }
  });
});

describe('HTTP', () => {
  it('checks the Authorization header once per keep-alive connection while it stays the same', async () => {
    const e = endpoints.find((x) => x.carrier === 'http')!;
    const rpc = createClient<typeof service>(e.url, { auth: 'bob-token' });
    try {
      await rpc.echo('warm');
      const before = hookCalls;
      for (let i = 0; i < 20; i++) await rpc.echo(String(i));
      expect(hookCalls).toBe(before);
    } finally {
      await rpc.$close();
    }
  });

  it('answers 401 with a WWW-Authenticate challenge for Basic and Bearer', async () => {
    const e = endpoints.find((x) => x.carrier === 'http' && x.protocol === 'xmlrpc')!;
    const res = await fetch(e.url, {
      method: 'POST',
      body: '<methodCall><methodName>echo</methodName></methodCall>',
    });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/Basic realm="polyrpc"/);
    expect(challenge).toMatch(/Bearer/);
  });

  it('closes a keep-alive connection after 5 refusals', async () => {
    const e = endpoints.find((x) => x.carrier === 'http' && x.protocol === 'xmlrpc')!;
    const { request } = await import('node:http');
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: { status: number; connection: string | undefined }[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        await new Promise((resolve, reject) => {
          const req = request(
            e.url,
            { method: 'POST', agent, headers: { authorization: `Bearer wrong-${i}`, 'content-length': 0 } },
            (res) => {
              res.resume();
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        }),
      );
    }
    agent.destroy();
    expect(statuses.map((s) => s.status)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[3]!.connection).not.toBe('close');
    expect(statuses[4]!.connection).toBe('close');
  });
});

describe('reconnect', () => {
  it('authenticates again on every new connection before queued calls go out', async () => {
    const e = endpoints.find((x) => x.carrier === 'tcp' && x.protocol === 'msgpack')!;
    const proxy = await startChaosProxy({ target: e.port, mode: 'none' });
    const url = new URL(e.url);
    url.port = String(proxy.port);
    const rpc = createClient<typeof service>(url.toString(), { auth: 'alice-token' });
    try {
      expect(await rpc.whoami()).toBe('alice');
      for (let round = 0; round < 3; round++) {
        proxy.cutAll();
        // Made while the connection is down or coming back: they wait, then go out
        // behind a fresh rpc.authenticate.
        const calls = await Promise.all([rpc.whoami(), rpc.echo(`r${round}`)].map((p) => p.catch((x) => x)));
        const ok = calls.filter((c) => !(c instanceof Error));
        // A call caught on the cut connection may fail as "outcome unknown"; never as unauthenticated.
        for (const c of calls) if (c instanceof Error) expect(c).toBeInstanceOf(TransportError);
        expect(await rpc.whoami()).toBe('alice');
        expect(ok.length + calls.filter((c) => c instanceof Error).length).toBe(2);
      }
      expect(proxy.accepted).toBeGreaterThanOrEqual(4);
    } finally {
      await rpc.$close();
      await proxy.close();
    }
  });
});

describe('in process', () => {
  it('authenticates with the same hook and rules', async () => {
    const { createInProcessTransport } = await import('../../src/index.js');
    const anonymous = createClient<typeof service>(
      createInProcessTransport(service, { authenticate, logger: quiet }),
    );
    const bob = createClient<typeof service>(
      createInProcessTransport(service, { authenticate, logger: quiet, auth: 'bob-token' }),
    );
    try {
      expect((await failure(anonymous.echo('x'))).code).toBe(Code.Unauthenticated);
      expect(await bob.whoami()).toBe('bob');
      expect((await failure(bob.secret())).code).toBe(Code.Forbidden);
    } finally {
      await Promise.all([anonymous.$close(), bob.$close()]);
    }
  });
});
