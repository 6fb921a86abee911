/**
 * Hostile input against the msgpack server over raw sockets: each bad frame gets its
 * error frame or a closed connection, never a hang, and the server and its other
 * connections carry on.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { Code } from '../../src/rpc/errors.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { createFramer } from '../../src/transport/msgpack/framing.js';
import { msgPack } from '../../src/transport/msgpack/index.js';
import { decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { type StreamServer, serveStream } from '../../src/transport/stream-server.js';
import { type ClientTransport, defaultLimits } from '../../src/transport/types.js';

let server: StreamServer;
let port: number;
let bystander: ClientTransport;

beforeAll(async () => {
  server = serveStream(msgPack, createRegistry(createDemoService()), {
    ...defaultLimits,
    maxMessageBytes: 64 * 1024,
  });
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
  bystander = msgPack.createTransport(new URL(`msgpack://127.0.0.1:${port}`), {});
  expect(await bystander.call({ method: 'add', params: [1, 1] })).toBe(2);
});

afterAll(async () => {
  await bystander.close();
  await server.drain(1000);
});

interface Raw {
  readonly socket: Socket;
  send(bytes: Uint8Array): void;
  /** Resolves the next decoded frame, or 'closed' when the server closes first. */
  next(): Promise<unknown>;
  readonly closed: Promise<void>;
}

function raw(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const frames: unknown[] = [];
    const waiters: ((v: unknown) => void)[] = [];
    let ended = false;
    const framer = createFramer({ maxBytes: 1 << 20 });
    const deliver = (v: unknown): void => {
      const w = waiters.shift();
      if (w) w(v);
      else frames.push(v);
    };
    socket.on('data', (chunk) => framer.push(chunk, (f) => deliver(decodeValue(f, 64))));
    const closed = new Promise<void>((done) =>
      socket.once('close', () => {
        ended = true;
        for (const w of waiters.splice(0)) w('closed');
        done();
      }),
    );
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        send: (bytes) => socket.write(bytes),
        next: () =>
          new Promise((res, rej) => {
            if (frames.length > 0) return res(frames.shift());
            if (ended) return res('closed');
            const t = setTimeout(() => rej(new Error('no frame within 3 s')), 3000);
            waiters.push((v) => {
              clearTimeout(t);
              res(v);
            });
          }),
      }),
    );
    socket.once('error', reject);
  });
}

const framed = (body: Uint8Array): Buffer => {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
};
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const within = <T>(p: Promise<T>, ms = 3000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`not within ${ms} ms`)), ms))]);

// Asserts the server still answers, on a fresh connection and on the long-lived one.
async function serverIsFine(): Promise<void> {
  expect(await bystander.call({ method: 'add', params: [2, 3] })).toBe(5);
  const c = await raw();
  c.send(encodeFrame([0, 1, 'hypotenuse', [3, 4]]));
  expect(await c.next()).toEqual([1, 1, null, 5]);
  c.socket.destroy();
}

describe('msgpack hostile input', () => {
  it('answers a length of 0xFFFFFFFF with an error frame and closes', async () => {
    const c = await raw();
    c.send(hex('ffffffff'));
    expect(await c.next()).toEqual([
      1,
      null,
      { code: Code.LimitExceeded, message: 'msgpack: frame of 4294967295 bytes exceeds the limit of 65536' },
      null,
    ]);
    expect(await c.next()).toBe('closed');
    await within(c.closed);
    await serverIsFine();
  });

  it('answers a frame that is not msgpack with a parse error (msgid when it can be read) and keeps the connection', async () => {
    const c = await raw();
    c.send(framed(hex('c1')));
    expect(await c.next()).toEqual([
      1,
      null,
      { code: Code.ParseError, message: 'msgpack: invalid byte 0xc1' },
      null,
    ]);
    c.send(framed(hex('94 00 01 a3616464 92 01 02 ff ff')));
    expect(await c.next()).toEqual([
      1,
      1,
      { code: Code.ParseError, message: 'msgpack: 2 bytes left over after the value' },
      null,
    ]);
    c.send(encodeFrame([0, 2, 'add', [1, 2]]));
    expect(await c.next()).toEqual([1, 2, null, 3]);
    c.socket.destroy();
    await serverIsFine();
  });

  it('answers msgpack that is not a message array with an invalid-request error', async () => {
    const c = await raw();
    c.send(encodeFrame({ method: 'add' }));
    expect(await c.next()).toMatchObject([1, null, { code: Code.InvalidRequest }, null]);
    c.send(encodeFrame([0, 5, 'add']));
    expect(await c.next()).toMatchObject([1, 5, { code: Code.InvalidRequest }, null]);
    c.send(encodeFrame([9, 6, 'add', []]));
    expect(await c.next()).toMatchObject([1, null, { code: Code.InvalidRequest }, null]);
    c.socket.destroy();
    await serverIsFine();
  });

  it('rejects an extension type with an error frame', async () => {
    const c = await raw();
    // echo([Set ext 0x73 holding [1]]), a msgpackr structured-clone type.
    c.send(framed(hex('94 00 07 a4 6563686f 91 d4 73 00 91 01')));
    expect(await c.next()).toEqual([
      1,
      7,
      { code: Code.ParseError, message: 'msgpack: extension type 115 is not supported' },
      null,
    ]);
    // A msgpackr record definition (ext 0x72) is rejected the same way.
    c.send(framed(hex('94 00 08 a4 6563686f 91 d4 72 40 91 a1 61 01')));
    expect(await c.next()).toMatchObject([1, 8, { code: Code.ParseError }, null]);
    c.socket.destroy();
    await serverIsFine();
  });

  it('keeps a map with a __proto__ key as data: echoed exactly, no prototype touched', async () => {
    const c = await raw();
    // echo({"__proto__": {"polluted": true}})
    c.send(framed(hex('94 00 09 a4 6563686f 91 81 a9 5f5f70726f746f5f5f 81 a8 706f6c6c75746564 c3')));
    const reply = (await c.next()) as unknown[];
    expect(reply.slice(0, 3)).toEqual([1, 9, null]);
    const echoed = reply[3] as Record<string, unknown>;
    expect(Object.keys(echoed)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(echoed, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // As params, a __proto__ key is just an unknown named parameter, refused by the binder.
    c.send(framed(hex('94 00 0a a3 616464 83 a1 61 01 a1 62 02 a9 5f5f70726f746f5f5f 80')));
    const refused = (await c.next()) as [number, number, { code: number; message: string }, null];
    expect(refused[1]).toBe(10);
    expect(refused[2].code).toBe(Code.InvalidParams);
    expect(refused[2].message).toMatch(/__proto__/);
    c.socket.destroy();
    await serverIsFine();
  });

  it('answers 60k levels of nesting with a limit error, without crashing', async () => {
    const c = await raw();
    const deep = Buffer.alloc(60_001, 0x91); // within this server's 64 KiB frame limit
    deep[60_000] = 0xc0;
    c.send(framed(Buffer.concat([hex('94 00 0b a4 6563686f 91'), deep])));
    expect(await c.next()).toEqual([
      1,
      11,
      { code: Code.LimitExceeded, message: 'msgpack: nesting deeper than 64 levels' },
      null,
    ]);
    c.socket.destroy();
    await serverIsFine();
  });

  it('drops a truncated frame followed by a disconnect, and stays up', async () => {
    const c = await raw();
    c.send(Buffer.concat([hex('00000064'), Buffer.alloc(10, 0x01)])); // 100 announced, 10 sent
    c.socket.end();
    expect(await c.next()).toBe('closed');
    await within(c.closed);
    await serverIsFine();
  });

  it('survives a burst of random garbage on one connection while others work', async () => {
    const c = await raw();
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let i = 0; i < 200; i++) {
      const body = Buffer.from(Array.from({ length: 1 + (rand() % 40) }, rand));
      c.send(framed(body));
    }
    c.send(hex('00 00 ff ff')); // then a frame that can never complete within the limit
    c.socket.end();
    await within(c.closed);
    await serverIsFine();
  });
});
