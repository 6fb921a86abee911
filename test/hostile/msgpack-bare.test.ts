/**
 * The msgpack port in bare msgpack-rpc framing (issue 13), over raw sockets: replies
 * come back bare, a message whose end is known but whose content is bad gets its
 * error and the connection goes on, and a message whose end cannot be found gets an
 * error with msgid nil and the connection closes. test/conformance runs the rest.
 */
import { pack } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { Code } from '../../src/rpc/errors.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { connectWire, type WireSocket } from '../support/wire.js';

const MAX_BYTES = 64 * 1024;
const server: RpcServer = await serve(createDemoService(), {
  protocols: ['msgpack'],
  httpPort: null,
  ports: { msgpack: 0 },
  limits: { maxMessageBytes: MAX_BYTES, maxDepth: 16 },
  logger: { debug() {}, error() {} },
});
const port = Number(new URL(server.listeners[0]!.url).port);
afterAll(() => server.close(1000));

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

async function bare(): Promise<WireSocket> {
  return connectWire('msgpack+bare', port);
}

async function stillAnswers(sock: WireSocket): Promise<void> {
  sock.send({ id: 500, method: 'add', params: [2, 3] });
  expect(await sock.next()).toEqual({ kind: 'reply', id: 500, result: 5 });
}

describe('msgpack port, bare framing: answers', () => {
  it('answers bare (no length prefix), and the first reply is a fixarray', async () => {
    const sock = await connectWire('msgpack+bare', port, { decode: false });
    const first = new Promise<Buffer>((resolve) => sock.socket.once('data', resolve));
    sock.sendRaw(pack([0, 7, 'add', [3, 5]]));
    expect(await first).toEqual(pack([1, 7, null, 8]));
    sock.socket.destroy();
  });

  it('answers 200 calls sent in one write, and a call sent one byte per write', async () => {
    const sock = await bare();
    sock.sendRaw(Buffer.concat(Array.from({ length: 200 }, (_, i) => pack([0, i, 'add', [i, 1]]))));
    const ids = new Set<unknown>();
    for (let i = 0; i < 200; i++) {
      const m = await sock.next();
      expect(m.kind).toBe('reply');
      if (m.kind === 'reply') {
        expect(m.result).toBe((m.id as number) + 1);
        ids.add(m.id);
      }
    }
    expect(ids.size).toBe(200);
    for (const byte of pack([0, 201, 'add', [40, 2]])) {
      sock.sendRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await sock.next()).toEqual({ kind: 'reply', id: 201, result: 42 });
    sock.socket.destroy();
  });
});

describe('msgpack port, bare framing: bad messages whose end is known keep the connection', () => {
  it.each([
    // [0, 9, "echo", [<fixext 1 of type 5>]]
    ['an extension other than -1', hex('94 00 09 a4 6563686f 91 d4 05 00'), 9, Code.ParseError],
    // [0, 9, "echo", [{1: 2}]]
    ['a map key that is not a string', hex('94 00 09 a4 6563686f 91 81 01 02'), 9, Code.ParseError],
    // [0, 9, 7, []]
    ['a method that is not a string', hex('94 00 09 07 90'), 9, Code.InvalidRequest],
  ])('%s: its error, with the msgid', async (_name, bytes, id, code) => {
    const sock = await bare();
    sock.sendRaw(bytes);
    expect(await sock.next()).toMatchObject({ kind: 'reply', id, error: { code } });
    await stillAnswers(sock);
    sock.socket.destroy();
  });

  it('a value that is not an array, after a good first message: -32600 with msgid nil', async () => {
    const sock = await bare();
    await stillAnswers(sock);
    sock.sendRaw(hex('a3 616263'));
    expect(await sock.next()).toMatchObject({
      kind: 'reply',
      id: null,
      error: { code: Code.InvalidRequest },
    });
    await stillAnswers(sock);
    sock.socket.destroy();
  });
});

describe('msgpack port, bare framing: a message whose end cannot be found closes the connection', () => {
  it.each([
    ['a byte that is no MessagePack', hex('94 00 09 c1'), Code.ParseError],
    [
      'a string longer than maxMessageBytes (its header alone)',
      hex('94 00 09 a4 6563686f 91 db 00100000'),
      Code.LimitExceeded,
    ],
    [
      'many small values past maxMessageBytes',
      pack([0, 9, 'echo', [Array(MAX_BYTES).fill(1)]]),
      Code.LimitExceeded,
    ],
    ['nesting past maxDepth', hex(`94 00 09 a4 6563686f 91 ${'91'.repeat(20)} c0`), Code.LimitExceeded],
  ])('%s: the error with msgid nil, then closed', async (_name, bytes, code) => {
    const sock = await bare();
    await stillAnswers(sock);
    sock.sendRaw(bytes);
    expect(await sock.next()).toMatchObject({ kind: 'reply', id: null, error: { code } });
    expect(await sock.next()).toEqual({ kind: 'closed' });
  });

  it('a truncated message, then end of stream: nothing, closed', async () => {
    const sock = await bare();
    sock.sendRaw(pack([0, 9, 'add', [1, 2]]).subarray(0, 5));
    sock.socket.end();
    expect(await sock.next()).toEqual({ kind: 'closed' });
  });
});
