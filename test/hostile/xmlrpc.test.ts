/**
 * Hostile input against a live XML-RPC server with the default limits: each request
 * gets its fault or HTTP error, quickly, and the server answers the next call.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code } from '../../src/rpc/errors.js';
import { defaultLimits } from '../../src/transport/types.js';
import { decodeResponse, encodeCall } from '../../src/transport/xmlrpc/codec.js';
import { closeServer, post, startServer } from '../transport/xmlrpc/helpers.js';

let server: http.Server;
let port: number;

beforeAll(async () => {
  ({ server, port } = await startServer());
});
afterAll(() => closeServer(server));

async function faultCode(body: string | Buffer): Promise<number> {
  const reply = await post(port, body);
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('text/xml');
  expect(Number(reply.headers['content-length'])).toBe(reply.bytes);
  const settled = decodeResponse(reply.body);
  if (settled.ok) throw new Error(`expected a fault, got ${JSON.stringify(settled.value)}`);
  return settled.error.code;
}

async function stillServes(): Promise<void> {
  const reply = await post(port, encodeCall('add', [40, 2]));
  expect(decodeResponse(reply.body)).toEqual({ ok: true, value: 42 });
}

const call = (value: string): string =>
  `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param>${value}</param></params></methodCall>`;

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 ${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n ')}
]>
<methodCall><methodName>echo</methodName><params><param><value>&lol9;</value></param></params></methodCall>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>echo</methodName><params><param><value>&xxe;</value></param></params></methodCall>`;

// [name, body, expected fault code]
const CASES: [string, string, number][] = [
  ['not XML', 'GET / HTTP/1.0\r\n\r\n', Code.ParseError],
  ['binary garbage', '\u0000\u0001\u0002\u00ff', Code.ParseError],
  ['XML that is not a methodCall', '<?xml version="1.0"?><html><body>hi</body></html>', Code.InvalidRequest],
  ['a methodResponse sent as a call', '<methodResponse><params/></methodResponse>', Code.InvalidRequest],
  ['an unknown value type', call('<value><float>1.0</float></value>'), Code.InvalidRequest],
  ['an <int> that is not a number', call('<value><int>12abc</int></value>'), Code.InvalidParams],
  ['a NaN double', call('<value><double>nan</double></value>'), Code.InvalidParams],
  ['a billion laughs', BILLION_LAUGHS, Code.InvalidRequest],
  ['an external entity', XXE, Code.InvalidRequest],
  ['an undeclared entity', call('<value>&lol9;</value>'), Code.ParseError],
  [
    '10,000-deep arrays',
    call(
      `<value>${'<array><data><value>'.repeat(10_000)}</value>${'</data></array></value>'.repeat(10_000)}`,
    ),
    Code.LimitExceeded,
  ],
  [
    '10,000-deep structs',
    call(
      `<value>${'<struct><member><name>a</name><value>'.repeat(10_000)}x</value>${'</member></struct></value>'.repeat(10_000)}`,
    ),
    Code.LimitExceeded,
  ],
  [
    '10,000-deep unknown elements',
    `<methodCall>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</methodCall>`,
    Code.InvalidRequest,
  ],
];

describe('xmlrpc hostile input', () => {
  it.each(CASES)('%s gets its fault and the server still answers', async (_name, body, code) => {
    expect(await faultCode(body)).toBe(code);
    await stillServes();
  });

  it('a billion laughs costs no memory and no time', async () => {
    const before = process.memoryUsage().heapUsed;
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect(await faultCode(BILLION_LAUGHS)).toBe(Code.InvalidRequest);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('an XXE reply never contains the file', async () => {
    const reply = await post(port, XXE);
    expect(reply.body).not.toContain('root:');
  });

  it('a 100 KB string fits', async () => {
    const text = 'x'.repeat(100 * 1024);
    const reply = await post(port, encodeCall('echo', [text]));
    expect(decodeResponse(reply.body)).toEqual({ ok: true, value: text });
  });

  it('a 100 MB body declared by Content-Length is refused with 413 before it is sent', async () => {
    const reply = await post(port, '', { headers: { 'Content-Length': String(100 * 1024 * 1024) } });
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
    await stillServes();
  });

  it('a 100 MB chunked body is refused with 413 once the limit is passed, not after 100 MB', async () => {
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x3c); // reused: never 100 MB in memory
    const outcome = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = http.request({ host: '127.0.0.1', port, path: '/RPC2', method: 'POST', agent: false });
      req.on('response', (res) => {
        done = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
        req.destroy();
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (done) return;
        // Node's server closes a socket whose unread body keeps coming after the 413
        // went out; the client can then hit the closed socket before it reads the 413.
        if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
          done = true;
          resolve({ status: 0, sent });
        } else reject(err);
      });
      const pump = (): void => {
        for (let i = 0; i < total / chunk.length && !done && sent < total; i++) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!done) req.end();
      };
      pump();
    });
    expect([0, 413]).toContain(outcome.status); // 413, or closed on the client's writes
    expect(outcome.sent).toBeLessThan(defaultLimits.maxMessageBytes + 32 * 1024 * 1024);
    await stillServes();
  });

  it('oversized headers get 431 and a slow client is cut off by the request timeout', async () => {
    const big = await post(port, encodeCall('add', [1, 2]), { headers: { 'X-Big': 'y'.repeat(64 * 1024) } });
    expect(big.status).toBe(431);
    await stillServes();
    const slow = await startServer({ requestTimeoutMs: 200 });
    try {
      const closed = await new Promise<string>((resolve) => {
        const socket = net.connect(slow.port, '127.0.0.1', () =>
          socket.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\n'),
        );
        let text = '';
        socket.on('data', (d) => {
          text += d.toString();
        });
        socket.on('error', () => resolve(text));
        socket.on('close', () => resolve(text));
      });
      expect(closed === '' || closed.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      await closeServer(slow.server);
    }
  });
});
