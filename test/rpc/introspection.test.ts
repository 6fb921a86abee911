// Issue 10 item 9: introspection reports the wire types the server really sends,
// checked against real XML-RPC and JSON-RPC replies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService } from '../../src/demo/service.js';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { createRegistry } from '../../src/rpc/registry.js';
import { jsonSchemaOf } from '../../src/rpc/schema.js';
import { defineService, param, procedure, type Service } from '../../src/rpc/service.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const bytes = z.instanceof(Uint8Array);
const times = defineService({
  later: procedure({
    doc: 'later(when, minutes) returns the time `minutes` after `when`.',
    params: [param('when', z.date()), param('minutes', z.number().int())],
    result: z.date(),
    handler: ({ when, minutes }) => new Date(when.getTime() + minutes * 60_000),
  }),
  reverse: procedure({
    doc: 'reverse(data) returns the bytes in reverse order.',
    params: [param('data', bytes)],
    result: bytes,
    handler: ({ data }) => Uint8Array.from(data).reverse(),
  }),
  stamp: procedure({
    doc: 'stamp(label) returns a record with a date and bytes inside.',
    params: [param('label', z.iso.datetime())],
    result: z.object({ label: z.string(), at: z.date(), raw: bytes }),
    handler: ({ label }) => ({ label, at: new Date(0), raw: new Uint8Array([1, 2]) }),
  }),
});

const quiet = { debug() {}, error() {} };

async function introspect(method: string, params: unknown[], service: Service = times): Promise<unknown> {
  const registry = createRegistry(service, { logger: quiet });
  const { context } = createConnectionContext({ protocol: 'test' });
  const reply = await dispatch(registry, { id: 1, method, params }, context);
  if (reply === null || !reply.ok) throw new Error(`${method} failed: ${JSON.stringify(reply)}`);
  return reply.result;
}

type OpenRpc = {
  methods: {
    name: string;
    params: { schema: Record<string, unknown> }[];
    result: { schema: Record<string, unknown> };
  }[];
};
const discover = async (service: Service = times) =>
  (await introspect('rpc.discover', [], service)) as OpenRpc;

let server: RpcServer;
let xmlUrl: string;
let jsonUrl: string;

beforeAll(async () => {
  server = await serve(defineService({ ...createDemoService().tree, ...times.tree }), {
    httpPort: 0,
    ports: { jsonrpc: null, msgpack: null },
    logger: quiet,
  });
  xmlUrl = server.listeners.find((l) => l.protocol === 'xmlrpc')!.url;
  jsonUrl = server.listeners.find((l) => l.protocol === 'jsonrpc')!.url;
});

afterAll(async () => {
  await server?.close(0);
});

const postXml = async (body: string): Promise<string> =>
  (await fetch(xmlUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body })).text();

const xmlCall = (method: string, values: string[]): string =>
  `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${values
    .map((v) => `<param><value>${v}</value></param>`)
    .join('')}</params></methodCall>`;

// The XML-RPC type element of the reply's single value: <int>, <double>, <base64>…
const replyType = (xml: string): string | undefined =>
  /<params>\s*<param>\s*<value>\s*<([\w.]+)>/.exec(xml)?.[1];

describe('system.methodSignature', () => {
  it('names dates dateTime.iso8601 and bytes base64', async () => {
    expect(await introspect('system.methodSignature', ['later'])).toEqual([
      ['dateTime.iso8601', 'dateTime.iso8601', 'int'],
    ]);
    expect(await introspect('system.methodSignature', ['reverse'])).toEqual([['base64', 'base64']]);
    // A date-time *string* is sent as a string.
    expect(await introspect('system.methodSignature', ['stamp'])).toEqual([['struct', 'string']]);
  });

  it('gives int and double signatures where a number may be either, one where it may not', async () => {
    const demo = createDemoService();
    const both = [
      ['int', 'int', 'int'],
      ['double', 'double', 'double'],
    ];
    expect(await introspect('system.methodSignature', ['add'], demo)).toEqual(both);
    expect(await introspect('system.methodSignature', ['hypotenuse'], demo)).toEqual(both);
    expect(await introspect('system.methodSignature', ['credentials.lookup'], demo)).toEqual([
      ['string', 'string'],
    ]);
    expect(await introspect('system.methodSignature', ['chat.history'], demo)).toEqual([
      ['array', 'string', 'int', 'int'],
    ]);
  });
});

describe('jsonSchemaOf', () => {
  it('recognises date and bytes schemas by the values they take, and nothing else', () => {
    const date = { type: 'string', format: 'date-time', 'x-wire-type': 'Date' };
    expect(jsonSchemaOf(z.coerce.date())).toEqual(date);
    expect(jsonSchemaOf(z.date().optional())).toEqual(date);
    expect(jsonSchemaOf(z.custom<Buffer>((v) => Buffer.isBuffer(v)))).toMatchObject({
      'x-wire-type': 'Uint8Array',
    });
    expect(jsonSchemaOf(z.unknown())).toEqual({});
    expect(jsonSchemaOf(z.iso.datetime())).not.toHaveProperty('x-wire-type');
  });
});

describe('rpc.discover', () => {
  it('describes dates and bytes as what JSON-RPC sends, marked with their wire type', async () => {
    const doc = await discover();
    const later = doc.methods.find((m) => m.name === 'later')!;
    expect(later.params[0]!.schema).toEqual({ type: 'string', format: 'date-time', 'x-wire-type': 'Date' });
    expect(later.result.schema).toEqual({ type: 'string', format: 'date-time', 'x-wire-type': 'Date' });
    const reverse = doc.methods.find((m) => m.name === 'reverse')!;
    expect(reverse.result.schema).toEqual({
      type: 'string',
      contentEncoding: 'base64',
      'x-wire-type': 'Uint8Array',
    });
    const stamp = doc.methods.find((m) => m.name === 'stamp')!;
    expect(stamp.result.schema).toMatchObject({
      properties: {
        at: { type: 'string', format: 'date-time', 'x-wire-type': 'Date' },
        raw: { type: 'string', contentEncoding: 'base64', 'x-wire-type': 'Uint8Array' },
      },
    });
  });
});

describe('introspection agrees with the replies', () => {
  it('XML-RPC replies carry a type the signature lists', async () => {
    const demo = createDemoService();
    const sigs = (await introspect('system.methodSignature', ['hypotenuse'], demo)) as string[][];
    const results = sigs.map((s) => s[0]);
    const whole = await postXml(xmlCall('hypotenuse', ['<int>3</int>', '<int>4</int>']));
    expect(replyType(whole)).toBe('int');
    const fraction = await postXml(xmlCall('hypotenuse', ['<int>1</int>', '<int>1</int>']));
    expect(replyType(fraction)).toBe('double');
    expect(results).toContain('int');
    expect(results).toContain('double');
  });

  it('XML-RPC dates and bytes go out as dateTime.iso8601 and base64, as declared', async () => {
    const later = await postXml(
      xmlCall('later', ['<dateTime.iso8601>20240102T03:04:05</dateTime.iso8601>', '<int>60</int>']),
    );
    expect(replyType(later)).toBe('dateTime.iso8601');
    expect(later).toContain('20240102T04:04:05');
    const reversed = await postXml(xmlCall('reverse', ['<base64>AQID</base64>']));
    expect(replyType(reversed)).toBe('base64');
    expect(reversed).toContain('AwIB');
  });

  it('JSON-RPC sends a Date as the ISO string and bytes as the base64 string rpc.discover describes', async () => {
    const post = async (method: string, params: unknown[]) =>
      (
        (await (
          await fetch(jsonUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
          })
        ).json()) as { result: unknown }
      ).result;
    const stamp = (await post('stamp', ['2024-01-02T03:04:05Z'])) as { at: unknown; raw: unknown };
    expect(stamp.at).toBe('1970-01-01T00:00:00.000Z');
    expect(stamp.raw).toBe('AQI=');
  });
});
