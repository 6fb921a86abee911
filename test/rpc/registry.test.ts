/**
 * The registry (src/rpc/registry.ts): which names a definition may use, and what a
 * lookup by a name from the wire can reach. No I/O.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Procedure } from '../../src/rpc/bind.js';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { consoleLogger, createRegistry, type Logger, type Middleware } from '../../src/rpc/registry.js';
import { defineService, param, procedure, type ServiceTree, subscription } from '../../src/rpc/service.js';

const quiet: Logger = { debug() {}, error() {} };
const noop = procedure({ doc: 'noop', params: [], result: z.null(), handler: () => null });
const ticks = subscription({
  doc: 'ticks',
  params: [],
  event: z.number(),
  handler: async function* () {
    yield 1;
  },
});
const build = (tree: ServiceTree) => createRegistry(defineService(tree), { logger: quiet });
const BUILTINS = ['rpc.discover', 'system.listMethods', 'system.methodHelp', 'system.methodSignature'];

describe('registry: names a definition may use', () => {
  it.each([
    ['the system. root', { system: { x: noop } }],
    ['the rpc. root', { rpc: { x: noop } }],
    ['system as a procedure', { system: noop }],
    ['rpc as a procedure', { rpc: noop }],
    ['__proto__', JSON.parse('{"__proto__": {"kind": "call"}}') as ServiceTree],
    ['constructor', { constructor: noop }],
    ['prototype', { prototype: noop }],
    ['then', Object.fromEntries([['then', noop]]) as ServiceTree],
    ['then, nested', { a: Object.fromEntries([['then', noop]]) as ServiceTree }],
    ['constructor, nested', { a: { constructor: noop } }],
    ['a dotted key', { 'a.b': noop }],
    ['a $ key', { $close: noop }],
    ['an empty key', { '': noop }],
    ['a key starting with a digit', { '1a': noop }],
    ['a key with a space', { 'a b': noop }],
    ['a leaf that is neither', { a: 42 as unknown as ServiceTree }],
    ['a null leaf', { a: null as unknown as ServiceTree }],
  ])('rejects %s at definition time', (_label, tree) => {
    expect(() => build(tree)).toThrow(/^rpc: /);
  });

  it('allows system and rpc below the root', () => {
    const registry = build({ a: { system: noop, rpc: noop } });
    expect(registry.procedures.has('a.system')).toBe(true);
    expect(registry.procedures.has('a.rpc')).toBe(true);
  });

  it.each([
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['then', 'then'],
    ['prototype', 'prototype'],
    ['a dotted name', 'a.b'],
  ])('rejects a parameter named %s', (_label, name) => {
    const bad = procedure({
      doc: '',
      params: [param(name, z.number())],
      result: z.null(),
      handler: () => null,
    });
    expect(() => build({ bad })).toThrow(/bad parameter name/);
  });

  it('rejects duplicate parameters', () => {
    const bad = procedure({
      doc: '',
      params: [param('a', z.number()), param('a', z.number())],
      result: z.null(),
      handler: () => null,
    });
    expect(() => build({ bad })).toThrow(/duplicate parameter "a"/);
  });

  it('a procedure may be named toString, and only then is it found', async () => {
    const named = build({
      toString: procedure({ doc: '', params: [], result: z.string(), handler: () => 'mine' }),
    });
    const plain = build({ noop });
    const { context } = createConnectionContext({ protocol: 'test' });
    expect(await dispatch(named, { id: 1, method: 'toString' }, context)).toMatchObject({ result: 'mine' });
    expect(await dispatch(plain, { id: 1, method: 'toString' }, context)).toMatchObject({
      ok: false,
      error: { code: -32601 },
    });
  });
});

describe('registry: lookups', () => {
  const registry = build({ add: noop, math: { deep: { pow: noop } }, feed: ticks });

  it('flattens the tree into dotted names, plus the built-ins', () => {
    expect([...registry.procedures.keys()].sort()).toEqual(
      ['add', 'feed', 'math.deep.pow', ...BUILTINS].sort(),
    );
    const pow = registry.procedures.get('math.deep.pow') as Procedure;
    expect(pow.name).toBe('math.deep.pow');
    expect(pow.builtin).toBe(false);
    expect(registry.procedures.get('system.listMethods')?.builtin).toBe(true);
    expect(registry.procedures.get('feed')?.def.kind).toBe('subscription');
  });

  it.each([
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'math',
    'math.deep',
    'math.deep.pow.call',
    'add.call',
    'add.apply',
    'ADD',
    ' add',
    'add ',
    'rpc.unsubscribe',
  ])('%j finds nothing', (name) => {
    expect(registry.procedures.get(name)).toBeUndefined();
  });

  it('precomputes how many parameters are required and where each named one goes', () => {
    const r = build({
      f: procedure({
        doc: '',
        params: [param('a', z.number()), param('b', z.string()), param('c', z.boolean().optional())],
        result: z.null(),
        handler: () => null,
      }),
    });
    const f = r.procedures.get('f')!;
    expect(f.required).toBe(2);
    expect([...f.index]).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('leaves the built-ins out when introspection is off', () => {
    const r = createRegistry(defineService({ add: noop }), { introspection: false, logger: quiet });
    expect([...r.procedures.keys()]).toEqual(['add']);
  });

  it('keeps the service and its info', () => {
    const service = defineService({ add: noop }, { title: 'T', version: '9.9.9' });
    const r = createRegistry(service);
    expect(r.service).toBe(service);
    expect(r.service.info).toEqual({ title: 'T', version: '9.9.9' });
    expect(defineService({}).info).toEqual({ title: 'polyrpc service', version: '0.0.0' });
  });
});

describe('registry: options', () => {
  it('defaults: no middleware, the console logger, result validation on under NODE_ENV=test', () => {
    const r = createRegistry(defineService({ add: noop }));
    expect(r.middleware).toBeUndefined();
    expect(r.logger).toBe(consoleLogger);
    expect(r.validateResults).toBe(process.env.NODE_ENV === 'test');
    expect(createRegistry(defineService({}), { validateResults: false }).validateResults).toBe(false);
  });

  it('composes middleware outermost first', async () => {
    const seen: string[] = [];
    const tag =
      (name: string): Middleware =>
      async (_call, _ctx, next) => {
        seen.push(`>${name}`);
        const out = await next();
        seen.push(`<${name}`);
        return out;
      };
    const r = createRegistry(defineService({ add: noop }), { middleware: [tag('a'), tag('b'), tag('c')] });
    const { context } = createConnectionContext({ protocol: 'test' });
    expect(await dispatch(r, { id: 1, method: 'add' }, context)).toMatchObject({ ok: true, result: null });
    expect(seen).toEqual(['>a', '>b', '>c', '<c', '<b', '<a']);
  });
});
