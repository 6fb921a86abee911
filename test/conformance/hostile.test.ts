/**
 * Conformance, hostile input: on every endpoint, one message of each class (too
 * large, too deep, malformed) sent over a raw socket or a raw HTTP request gets its
 * error (or the connection is closed) promptly, never a hang, and a good call on
 * another connection is answered afterwards. The per-test files under test/hostile
 * go further for each protocol.
 */
import http from 'node:http';
import { pack, unpack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Code, createClient } from '../../src/index.js';
import { connectWire, frame, type WireProtocol } from '../support/wire.js';
import { type ConformanceService, type Endpoint, endpointsOf, LIMITS, startServer } from './endpoints.js';

const { server } = await startServer();
const endpoints = endpointsOf(server);
afterAll(() => server.close(1000));

const MAX_BYTES = LIMITS.maxMessageBytes!;
const TOO_DEEP = LIMITS.maxDepth! * 3;

type HostileClass = 'too large' | 'too deep' | 'malformed';

/**
 * Outcome is what came back: an error reply (and whether the connection stayed
 * usable), an HTTP status, or a closed connection with nothing said.
 */
type Outcome =
  | { readonly error: number; readonly after: 'open' | 'closed' }
  | { readonly status: number }
  | { readonly closed: true };

interface HostileCase {
  readonly body: () => Buffer;
  readonly expect: Outcome;
}

/** The raw forms of each class, keyed by `protocol carrier` (the wire decides what they look like). */
const HOSTILE: Readonly<Record<string, Readonly<Record<HostileClass, HostileCase>>>> = {
  'jsonrpc tcp': {
    'too large': {
      body: () =>
        Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["${'a'.repeat(MAX_BYTES + 1)}"]}\n`),
      expect: { error: Code.InvalidRequest, after: 'closed' },
    },
    'too deep': {
      body: () =>
        Buffer.from(
          `{"jsonrpc":"2.0","id":1,"method":"echo","params":[${'['.repeat(TOO_DEEP)}${']'.repeat(TOO_DEEP)}]}\n`,
        ),
      expect: { error: Code.LimitExceeded, after: 'open' },
    },
    malformed: {
      body: () => Buffer.from('{"jsonrpc":"2.0","id":1,"method":\n'),
      expect: { error: Code.ParseError, after: 'open' },
    },
  },
  'jsonrpc http': {
    'too large': {
      body: () =>
        Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"echo","params":["${'a'.repeat(MAX_BYTES + 1)}"]}`),
      expect: { status: 413 },
    },
    'too deep': {
      body: () =>
        Buffer.from(
          `{"jsonrpc":"2.0","id":1,"method":"echo","params":[${'['.repeat(TOO_DEEP)}${']'.repeat(TOO_DEEP)}]}`,
        ),
      expect: { error: Code.LimitExceeded, after: 'open' },
    },
    malformed: {
      body: () => Buffer.from('{"jsonrpc":"2.0","id":1,"method":'),
      expect: { error: Code.ParseError, after: 'open' },
    },
  },
  'xmlrpc http': {
    'too large': {
      body: () =>
        Buffer.from(
          `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><string>${'a'.repeat(MAX_BYTES + 1)}</string></value></param></params></methodCall>`,
        ),
      expect: { status: 413 },
    },
    'too deep': {
      body: () =>
        Buffer.from(
          `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param>${'<value><array><data>'.repeat(TOO_DEEP)}${'</data></array></value>'.repeat(TOO_DEEP)}</param></params></methodCall>`,
        ),
      expect: { error: Code.LimitExceeded, after: 'open' },
    },
    malformed: {
      body: () => Buffer.from('<?xml version="1.0"?><methodCall><methodName>add</methodName><params>'),
      expect: { error: Code.ParseError, after: 'open' },
    },
  },
  'msgpack tcp': {
    'too large': {
      body: () => {
        const head = Buffer.alloc(4);
        head.writeUInt32BE(MAX_BYTES + 1);
        return head; // a length past the limit: refused before any body is read
      },
      expect: { error: Code.LimitExceeded, after: 'closed' },
    },
    'too deep': {
      body: () => {
        let deep: unknown = [];
        for (let i = 0; i < TOO_DEEP; i++) deep = [deep];
        return frame(pack([0, 1, 'echo', [deep]]));
      },
      expect: { error: Code.LimitExceeded, after: 'open' },
    },
    malformed: {
      body: () => frame(Buffer.from([0xc1, 0xc1, 0xc1])), // 0xc1 is never used in msgpack
      expect: { error: Code.ParseError, after: 'open' },
    },
  },
};

// A WebSocket frame is the message: too large is refused by the frame size limit (the
// connection closes, 1009), the rest get the protocol's error and the connection goes on.
const deepMsgpack = (): Buffer => {
  let deep: unknown = [];
  for (let i = 0; i < TOO_DEEP; i++) deep = [deep];
  return pack([0, 1, 'echo', [deep]]);
};
(HOSTILE as Record<string, Record<HostileClass, HostileCase>>)['websocket ws'] = {
  'too large': { body: () => Buffer.from('a'.repeat(MAX_BYTES + 1)), expect: { closed: true } },
  'too deep': {
    body: () =>
      Buffer.from(
        `{"jsonrpc":"2.0","id":1,"method":"echo","params":[${'['.repeat(TOO_DEEP)}${']'.repeat(TOO_DEEP)}]}`,
      ),
    expect: { error: Code.LimitExceeded, after: 'open' },
  },
  malformed: {
    body: () => Buffer.from('{"jsonrpc":"2.0","id":1,"method":'),
    expect: { error: Code.ParseError, after: 'open' },
  },
};
// Bare msgpack-rpc on the msgpack port: no length prefix, so a message whose end
// cannot be found (over the size limit, too deep, not MessagePack) closes the connection.
(HOSTILE as Record<string, Record<HostileClass, HostileCase>>)['msgpack msgpack+bare'] = {
  'too large': {
    body: () => {
      // [0, 1, "echo", [<str 32 of MAX_BYTES + 1>]]: only the header; refused before the body.
      const head = Buffer.from([0x94, 0x00, 0x01, 0xa4, ...Buffer.from('echo'), 0x91, 0xdb, 0, 0, 0, 0]);
      head.writeUInt32BE(MAX_BYTES + 1, head.length - 4);
      return head;
    },
    expect: { error: Code.LimitExceeded, after: 'closed' },
  },
  'too deep': { body: deepMsgpack, expect: { error: Code.LimitExceeded, after: 'closed' } },
  malformed: {
    body: () => Buffer.from([0x94, 0x00, 0x01, 0xc1]), // 0xc1 is never used in msgpack
    expect: { error: Code.ParseError, after: 'closed' },
  },
};
(HOSTILE as Record<string, Record<HostileClass, HostileCase>>)['websocket msgpack+ws'] = {
  'too large': { body: () => Buffer.alloc(MAX_BYTES + 1, 0x90), expect: { closed: true } },
  'too deep': { body: deepMsgpack, expect: { error: Code.LimitExceeded, after: 'open' } },
  malformed: {
    body: () => Buffer.from([0xc1, 0xc1, 0xc1]),
    expect: { error: Code.ParseError, after: 'open' },
  },
};

/** overWs sends one frame (text for JSON, binary for msgpack) on a raw WebSocket, then a good call on it. */
async function overWs(ep: Endpoint, body: Buffer): Promise<Outcome> {
  const binary = ep.carrier.startsWith('msgpack');
  const ws = new WebSocket(`ws://127.0.0.1:${ep.port}${new URL(ep.url).pathname}`);
  const inbox: unknown[] = [];
  let closed = false;
  ws.on('message', (data: Buffer, isBinary: boolean) =>
    inbox.push(isBinary ? unpack(data) : JSON.parse(data.toString())),
  );
  ws.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (): Promise<unknown> => {
    const end = Date.now() + 3000;
    while (inbox.length === 0 && !closed) {
      if (Date.now() > end) throw new Error('no answer within 3 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    return inbox.shift();
  };
  const codeOf = (m: unknown): number | undefined =>
    binary
      ? ((m as unknown[] | undefined)?.[2] as { code?: number } | null | undefined)?.code
      : (m as { error?: { code: number } } | undefined)?.error?.code;
  try {
    ws.send(binary ? body : body.toString(), { binary });
    const reply = await next();
    if (reply === undefined && closed) return { closed: true };
    const code = codeOf(reply);
    if (code === undefined)
      throw new Error(`expected an error reply, got ${JSON.stringify(reply).slice(0, 200)}`);
    ws.send(
      binary ? pack([0, 77, 'add', [1, 1]]) : '{"jsonrpc":"2.0","id":77,"method":"add","params":[1,1]}',
      { binary },
    );
    const good = await next().catch(() => undefined);
    return { error: code, after: good !== undefined && codeOf(good) === undefined ? 'open' : 'closed' };
  } finally {
    ws.terminate();
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = { xmlrpc: 'text/xml', jsonrpc: 'application/json' };
const GOOD_BODIES: Readonly<Record<string, string>> = {
  xmlrpc:
    '<?xml version="1.0"?><methodCall><methodName>add</methodName><params><param><value><int>1</int></value></param><param><value><int>1</int></value></param></params></methodCall>',
  jsonrpc: '{"jsonrpc":"2.0","id":2,"method":"add","params":[1,1]}',
};

/** errorCodeOf finds the error code in an HTTP reply body of either protocol, or null when it is a result. */
function errorCodeOf(protocol: string, body: string): number | null {
  if (protocol === 'xmlrpc') {
    const m = /<name>faultCode<\/name>\s*<value>\s*<(?:int|i4)>(-?\d+)</.exec(body);
    return m === null ? null : Number(m[1]);
  }
  const reply = JSON.parse(body) as { error?: { code: number } };
  return reply.error?.code ?? null;
}

/** postRaw POSTs one body on a keep-alive connection, then the good call on the same one. */
async function overHttp(ep: Endpoint, body: Buffer): Promise<Outcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const path = new URL(ep.url).pathname;
  const post = (payload: Buffer | string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: ep.port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-type': CONTENT_TYPES[ep.protocol] ?? 'application/octet-stream' },
          timeout: 3000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
      req.on('error', reject);
      req.end(payload);
    });
  try {
    const first = await post(body);
    if (first.status !== 200) return { status: first.status };
    const code = errorCodeOf(ep.protocol, first.body);
    if (code === null) throw new Error(`expected an error, got ${first.body.slice(0, 200)}`);
    const good = await post(GOOD_BODIES[ep.protocol]!).catch(() => undefined);
    const open = good?.status === 200 && errorCodeOf(ep.protocol, good.body) === null;
    return { error: code, after: open ? 'open' : 'closed' };
  } finally {
    agent.destroy();
  }
}

/** overTcp sends the bytes on a raw socket and reads what comes back, then tries a good call on it. */
async function overTcp(ep: Endpoint, body: Buffer): Promise<Outcome> {
  const wire = (ep.carrier === 'tcp' ? ep.protocol : ep.carrier) as WireProtocol;
  const sock = await connectWire(wire, ep.port);
  try {
    sock.sendRaw(body);
    const reply = await sock.next(3000);
    if (reply.kind === 'closed') return { closed: true };
    if (reply.kind !== 'reply' || reply.error === undefined)
      throw new Error(`expected an error reply, got ${JSON.stringify(reply).slice(0, 200)}`);
    sock.send({ id: 77, method: 'add', params: [1, 1] });
    const next = await sock.next(3000).catch(() => ({ kind: 'timeout' }) as const);
    if (next.kind === 'reply') {
      expect(next).toMatchObject({ id: 77, result: 2 });
      return { error: reply.error.code, after: 'open' };
    }
    await Promise.race([
      sock.closed,
      new Promise((_, no) => setTimeout(() => no(new Error('not closed')), 3000)),
    ]);
    return { error: reply.error.code, after: 'closed' };
  } finally {
    sock.socket.destroy();
  }
}

describe('conformance: hostile input cases', () => {
  it('cover every endpoint', () => {
    for (const ep of endpoints) expect(HOSTILE[`${ep.protocol} ${ep.carrier}`], ep.name).toBeDefined();
  });
});

describe.each(endpoints)('conformance: hostile input on $name', (ep) => {
  const cases: [string, HostileCase][] = Object.entries(HOSTILE[`${ep.protocol} ${ep.carrier}`] ?? {});
  it.each(cases)('%s: its error, promptly, then a good call elsewhere', async (_cls, c) => {
    const started = performance.now();
    const outcome =
      ep.carrier === 'http'
        ? await overHttp(ep, c.body())
        : ep.carrier === 'tcp' || ep.carrier === 'msgpack+bare'
          ? await overTcp(ep, c.body())
          : await overWs(ep, c.body());
    expect(outcome).toEqual(c.expect);
    expect(performance.now() - started).toBeLessThan(5000);
    const rpc = createClient<ConformanceService>(ep.url, { timeout: 3000 });
    try {
      expect(await rpc.add(20, 22)).toBe(42);
    } finally {
      await rpc.$close();
    }
  });
});
