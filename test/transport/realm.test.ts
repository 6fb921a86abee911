/**
 * Issue 10 item 4: values made in another realm (a `vm` context, as in `polyrpc repl`)
 * keep their type on every codec. `instanceof Uint8Array` and `instanceof Date` are
 * false for them, so each codec recognises binary data and dates by their internal
 * slots instead. Codec level first, then end to end through a real server.
 */
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { stringify } from '../../src/transport/jsonrpc/codec.js';
import { decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { decodeCall, encodeCall } from '../../src/transport/xmlrpc/codec.js';

interface Foreign {
  bytes: Uint8Array;
  date: Date;
  words: Uint16Array;
  buffer: ArrayBuffer;
  nested: { list: Uint8Array[] };
}

/** bytes checks a value is this realm's Uint8Array (a Buffer is one) and lists its bytes. */
const bytes = (v: unknown): number[] => {
  expect(v).toBeInstanceOf(Uint8Array);
  return [...(v as Uint8Array)];
};

const foreign = (): Foreign =>
  runInNewContext(`({
    bytes: new Uint8Array([1, 2]),
    date: new Date(0),
    words: new Uint16Array([0x0201]),
    buffer: new Uint8Array([7, 8]).buffer,
    nested: { list: [new Uint8Array([3])] },
  })`) as Foreign;

describe('values from another realm, codec level', () => {
  it('are really foreign (the premise)', () => {
    const v = foreign();
    expect(v.bytes instanceof Uint8Array).toBe(false);
    expect(v.date instanceof Date).toBe(false);
  });

  it('msgpack: bin and timestamp, decoded as this realm’s Uint8Array and Date', () => {
    const v = foreign();
    const out = decodeValue(encodeFrame(v).subarray(4), 64) as Record<string, unknown>;
    expect(bytes(out.bytes)).toEqual([1, 2]);
    expect(out.date).toEqual(new Date(0));
    expect(bytes(out.words)).toEqual([...new Uint8Array(new Uint16Array([0x0201]).buffer)]);
    expect(bytes(out.buffer)).toEqual([7, 8]);
    expect(bytes((out.nested as { list: unknown[] }).list[0])).toEqual([3]);
  });

  it('JSON-RPC: base64 strings and an ISO date', () => {
    expect(JSON.parse(stringify(foreign()))).toEqual({
      bytes: 'AQI=',
      date: '1970-01-01T00:00:00.000Z',
      words: Buffer.from(new Uint16Array([0x0201]).buffer).toString('base64'),
      buffer: 'Bwg=',
      nested: { list: ['Aw=='] },
    });
    expect(stringify(runInNewContext('new Uint8Array([255])'))).toBe('"/w=="');
  });

  it('XML-RPC: base64 and dateTime.iso8601', () => {
    const { params } = decodeCall(encodeCall('echo', [foreign()]));
    const out = params[0] as Record<string, unknown>;
    expect(bytes(out.bytes)).toEqual([1, 2]);
    expect(out.date).toEqual(new Date(0));
    expect(bytes(out.buffer)).toEqual([7, 8]);
    expect(bytes((out.nested as { list: unknown[] }).list[0])).toEqual([3]);
  });
});

describe('values from another realm, end to end (echo)', () => {
  let server: RpcServer;
  beforeAll(async () => {
    server = await serve(createDemoService(), { httpPort: 0, ports: { jsonrpc: 0, msgpack: 0 } });
  });
  afterAll(() => server.close(1000));

  it('keep their type on every protocol that has one, and are base64/ISO text on JSON-RPC', async () => {
    for (const l of server.listeners) {
      const rpc = createClient<DemoService>(l.clientUrl, { timeout: 5000 });
      const bin = await rpc.echo(runInNewContext('new Uint8Array([1, 2])'));
      const date = await rpc.echo(runInNewContext('new Date(0)'));
      if (l.protocol === 'jsonrpc' || /^wss?:/.test(l.clientUrl)) {
        expect(bin, l.clientUrl).toBe('AQI=');
        expect(date, l.clientUrl).toBe('1970-01-01T00:00:00.000Z');
      } else {
        expect(bytes(bin), l.clientUrl).toEqual([1, 2]);
        expect(date, l.clientUrl).toEqual(new Date(0));
      }
      await rpc.$close();
    }
  });
});
