/**
 * Introspection (src/rpc/introspection.ts): describe, the XML-RPC type names, the
 * OpenRPC document, and the four built-in procedures through dispatch.
 */
import { expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { Code } from '../../src/rpc/errors.js';
import { describe, openRpcDocument, xmlRpcType } from '../../src/rpc/introspection.js';
import { createRegistry, type Logger } from '../../src/rpc/registry.js';
import { defineService, param, procedure, subscription } from '../../src/rpc/service.js';

const quiet: Logger = { debug() {}, error() {} };
const service = defineService(
  {
    add: procedure({
      doc: 'add(a, b) adds.',
      params: [param('a', z.number().int()), param('b', z.number().int())],
      result: z.number().int(),
      handler: ({ a, b }) => a + b,
    }),
    greet: procedure({
      doc: 'greet(name, loud?) greets.',
      params: [param('name', z.string()), param('loud', z.boolean().optional())],
      result: z.string(),
      handler: ({ name }) => `hi ${name}`,
    }),
    clock: {
      now: procedure({ doc: 'now() is the time.', params: [], result: z.iso.datetime(), handler: () => '' }),
      feed: subscription({
        doc: 'feed(room) pushes messages.',
        params: [param('room', z.string())],
        event: z.object({ text: z.string() }),
        handler: async function* () {},
      }),
    },
    anything: procedure({
      doc: '',
      params: [param('list', z.array(z.number())), param('n', z.null()), param('value', z.unknown())],
      result: z.union([z.string(), z.number()]),
      handler: () => 1,
    }),
  },
  { title: 'clock service', version: '2.1.0' },
);
const registry = createRegistry(service, { logger: quiet });
const { context } = createConnectionContext({ protocol: 'test' });
let seq = 0;
const run = (method: string, params?: unknown[]) =>
  dispatch(registry, { id: ++seq, method, params }, context);
const result = async (method: string, params?: unknown[]): Promise<unknown> => {
  const reply = await run(method, params);
  if (reply === null || !reply.ok) throw new Error(`${method} failed: ${JSON.stringify(reply)}`);
  return reply.result;
};

group('introspection: describe', () => {
  it('gives name, kind, doc, params with required flags and schemas, and the result schema', () => {
    expect(describe(registry.procedures.get('greet')!)).toEqual({
      name: 'greet',
      kind: 'call',
      doc: 'greet(name, loud?) greets.',
      params: [
        { name: 'name', required: true, schema: { type: 'string' } },
        { name: 'loud', required: false, schema: { type: 'boolean' } },
      ],
      result: { type: 'string' },
    });
  });

  it('describes a subscription by its event schema', () => {
    const info = describe(registry.procedures.get('clock.feed')!);
    expect(info.kind).toBe('subscription');
    expect(info.result).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
  });
});

group('introspection: xmlRpcType', () => {
  it.each([
    [{ type: 'integer' }, 'int'],
    [{ type: 'number' }, 'double'],
    [{ type: 'string' }, 'string'],
    // A date-time *string* is sent as a string; only a Date (x-wire-type) is a dateTime.
    [{ type: 'string', format: 'date-time' }, 'string'],
    [{ type: 'string', format: 'date-time', 'x-wire-type': 'Date' }, 'dateTime.iso8601'],
    [{ type: 'boolean' }, 'boolean'],
    [{ type: 'array' }, 'array'],
    [{ type: 'object' }, 'struct'],
    [{ type: 'null' }, 'nil'],
    [{}, 'undef'],
    [{ type: ['string', 'number'] }, 'undef'],
    [{ anyOf: [{ type: 'string' }] }, 'undef'],
  ])('%j is %s', (schema, name) => {
    expect(xmlRpcType(schema)).toBe(name);
  });
});

group('introspection: built-in procedures', () => {
  it('system.listMethods lists every name, sorted, built-ins included', async () => {
    const names = (await result('system.listMethods')) as string[];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(
      [
        'add',
        'anything',
        'clock.feed',
        'clock.now',
        'greet',
        'rpc.discover',
        'system.listMethods',
        'system.methodHelp',
        'system.methodSignature',
      ].sort(),
    );
  });

  it('system.methodHelp returns the doc string, built-ins included', async () => {
    expect(await result('system.methodHelp', ['greet'])).toBe('greet(name, loud?) greets.');
    expect(await result('system.methodHelp', ['clock.feed'])).toBe('feed(room) pushes messages.');
    expect(await result('system.methodHelp', ['system.listMethods'])).toMatch(/^Lists the names/);
  });

  it('system.methodSignature gives [[result, ...params]] in XML-RPC type names', async () => {
    expect(await result('system.methodSignature', ['add'])).toEqual([['int', 'int', 'int']]);
    expect(await result('system.methodSignature', ['greet'])).toEqual([['string', 'string', 'boolean']]);
    expect(await result('system.methodSignature', ['clock.now'])).toEqual([['string']]); // z.iso.datetime() sends a string
    expect(await result('system.methodSignature', ['clock.feed'])).toEqual([['struct', 'string']]);
    expect(await result('system.methodSignature', ['anything'])).toEqual([
      ['undef', 'array', 'nil', 'undef'],
    ]);
    expect(await result('system.methodSignature', ['system.methodHelp'])).toEqual([['string', 'string']]);
  });

  it.each(['system.methodHelp', 'system.methodSignature'])(
    '%s answers -32601 for unknown names, and -32602 for bad arguments',
    async (method) => {
      for (const name of ['nope', '__proto__', 'constructor', 'clock', 'add.call']) {
        expect(await run(method, [name])).toMatchObject({ ok: false, error: { code: Code.MethodNotFound } });
      }
      const long = await run(method, ['x'.repeat(100_000)]);
      expect(long).toMatchObject({ ok: false, error: { code: Code.InvalidParams } });
      expect(await run(method, [])).toMatchObject({ ok: false, error: { code: Code.InvalidParams } });
      expect(await run(method, [42])).toMatchObject({ ok: false, error: { code: Code.InvalidParams } });
    },
  );

  it('the not-found message quotes a name cut to 128 characters', async () => {
    const reply = await run('system.methodHelp', [`${'y'.repeat(200)}`]);
    const message = reply !== null && !reply.ok ? reply.error.message : '';
    expect(message).toBe(`rpc: no method ${JSON.stringify('y'.repeat(128))}`);
  });
});

group('introspection: rpc.discover', () => {
  it('is an OpenRPC document of the service, without the built-ins', async () => {
    const doc = (await result('rpc.discover')) as ReturnType<typeof openRpcDocument>;
    expect(doc).toEqual(openRpcDocument(registry));
    expect(doc.openrpc).toBe('1.3.2');
    expect(doc.info).toEqual({ title: 'clock service', version: '2.1.0' });
    const methods = doc.methods as {
      name: string;
      description: string;
      'x-subscription'?: boolean;
      params: { name: string; required: boolean; schema: unknown }[];
      result: { name: string; schema: unknown };
    }[];
    expect(methods.map((m) => m.name).sort()).toEqual([
      'add',
      'anything',
      'clock.feed',
      'clock.now',
      'greet',
    ]);
    const greet = methods.find((m) => m.name === 'greet')!;
    expect(greet).toEqual({
      name: 'greet',
      description: 'greet(name, loud?) greets.',
      params: [
        { name: 'name', required: true, schema: { type: 'string' } },
        { name: 'loud', required: false, schema: { type: 'boolean' } },
      ],
      result: { name: 'result', schema: { type: 'string' } },
    });
    expect(greet).not.toHaveProperty('x-subscription');
    const feed = methods.find((m) => m.name === 'clock.feed')!;
    expect(feed['x-subscription']).toBe(true);
    expect(feed.result.name).toBe('event');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // plain JSON, nothing else
  });

  it('is absent, with the other built-ins, when introspection is off', async () => {
    const bare = createRegistry(service, { logger: quiet, introspection: false });
    for (const m of ['rpc.discover', 'system.listMethods', 'system.methodHelp', 'system.methodSignature']) {
      expect(await dispatch(bare, { id: 1, method: m, params: [] }, context)).toMatchObject({
        ok: false,
        error: { code: Code.MethodNotFound },
      });
    }
  });
});
