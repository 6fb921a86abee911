import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createDemoService } from '../../src/demo/service.js';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { createRegistry, type Logger } from '../../src/rpc/registry.js';
import { defineService, param, procedure, subscription } from '../../src/rpc/service.js';

const silent = (): Logger & { errors: unknown[] } => {
  const errors: unknown[] = [];
  return { errors, debug() {}, error: (_m, f) => errors.push(f) };
};

const setup = () => {
  const logger = silent();
  const registry = createRegistry(createDemoService({ idBase: 0 }), { logger });
  const { context } = createConnectionContext({ protocol: 'test' });
  const run = (
    method: string,
    params?: unknown[] | Record<string, unknown>,
    id: string | number | null = 1,
  ) => dispatch(registry, { id, method, params }, context);
  return { registry, context, run, logger };
};

const errorOf = async (p: ReturnType<ReturnType<typeof setup>['run']>) => {
  const reply = await p;
  if (reply === null || reply.ok) throw new Error(`expected an error reply, got ${JSON.stringify(reply)}`);
  return reply.error;
};

describe('dispatch: resolution', () => {
  it.each([
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'credentials.__proto__',
    'credentials.constructor',
    'add.call',
    'add.apply',
    'credentials',
    'chat',
    '',
    'system',
    'rpc.unsubscribe',
  ])('%j is method-not-found', async (name) => {
    const { run } = setup();
    const error = await errorOf(run(name, []));
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(Code.MethodNotFound);
  });

  it('a non-string method is an invalid request', async () => {
    const { registry, context } = setup();
    const reply = await dispatch(registry, { id: 1, method: 42 as unknown as string }, context);
    expect(reply).toMatchObject({ ok: false, error: { code: Code.InvalidRequest } });
  });

  it('echoes the id exactly, including null and strings', async () => {
    const { run } = setup();
    expect(await run('add', [1, 2], null)).toMatchObject({ id: null, ok: true, result: 3 });
    expect(await run('add', [1, 2], 'abc')).toMatchObject({ id: 'abc', ok: true, result: 3 });
  });

  it('a notification gets no reply, even on error', async () => {
    const { registry, context } = setup();
    expect(await dispatch(registry, { method: 'add', params: [1, 2] }, context)).toBeNull();
    expect(await dispatch(registry, { method: 'nope' }, context)).toBeNull();
    expect(await dispatch(registry, { method: 'add', params: ['x'] }, context)).toBeNull();
  });
});

describe('dispatch: arguments', () => {
  it('accepts positional and named arguments', async () => {
    const { run } = setup();
    expect(await run('add', [2, 3])).toMatchObject({ ok: true, result: 5 });
    expect(await run('add', { a: 2, b: 3 })).toMatchObject({ ok: true, result: 5 });
    expect(await run('credentials.lookup', { species: 'Dalek' })).toMatchObject({
      ok: true,
      result: 'Davros',
    });
  });

  it.each([
    ['too many', [1, 2, 3]],
    ['too few', [1]],
    ['none', undefined],
    ['unknown name', { a: 1, b: 2, c: 3 }],
    ['missing name', { a: 1 }],
    ['__proto__ name', JSON.parse('{"a":1,"b":2,"__proto__":{"x":1}}')],
    ['wrong type', ['1', 2]],
    ['null', [null, 2]],
  ])('%s is invalid params', async (_label, params) => {
    const { run } = setup();
    const error = await errorOf(run('add', params as unknown[]));
    expect(error.code).toBe(Code.InvalidParams);
    expect(error.message).toMatch(/^rpc: invalid params for add/);
  });

  it('puts the schema issues in data', async () => {
    const { run } = setup();
    const error = await errorOf(run('hypotenuse', [-3, 'x']));
    expect(error.code).toBe(Code.InvalidParams);
    const issues = error.data as { path: unknown[]; message: string }[];
    expect(issues.map((i) => i.path[0])).toEqual(['a', 'b']);
    expect(issues.every((i) => typeof i.message === 'string' && i.message.length > 0)).toBe(true);
  });

  it('optional trailing parameters may be left out', async () => {
    const { run } = setup();
    const reply = await run('chat.send', ['room', 'hello']);
    expect(reply).toMatchObject({
      ok: true,
      result: { room: 'room', text: 'hello', nick: 'anonymous', id: 1 },
    });
  });
});

describe('dispatch: errors', () => {
  it('a thrown plain Error is -32603 without internals, and is logged', async () => {
    const logger = silent();
    const svc = defineService({
      boom: procedure({
        doc: 'fails',
        params: [],
        result: z.null(),
        handler: () => {
          throw new Error('secret database password in /etc/x');
        },
      }),
    });
    const registry = createRegistry(svc, { logger });
    const { context } = createConnectionContext({ protocol: 'test' });
    const reply = await dispatch(registry, { id: 1, method: 'boom', params: [] }, context);
    expect(reply).toMatchObject({
      ok: false,
      error: { code: Code.Internal, message: 'rpc: internal error' },
    });
    if (reply?.ok === false) {
      expect(reply.error.toShape()).toEqual({ code: Code.Internal, message: 'rpc: internal error' });
      expect(JSON.stringify(reply.error.toShape())).not.toMatch(/secret|\.ts|at /);
    }
    expect(logger.errors).toHaveLength(1);
  });

  it('an application error keeps its code, message and data', async () => {
    const { run } = setup();
    const error = await errorOf(run('credentials.lookup', ['Tribble']));
    expect(error.toShape()).toEqual({ code: 404, message: 'Unknown species: Tribble' });
  });

  it('validates results in tests and reports a bad one as internal', async () => {
    const logger = silent();
    const svc = defineService({
      liar: procedure({
        doc: 'returns the wrong type',
        params: [],
        result: z.number(),
        handler: () => 'x' as unknown as number,
      }),
    });
    const registry = createRegistry(svc, { logger, validateResults: true });
    const { context } = createConnectionContext({ protocol: 'test' });
    const reply = await dispatch(registry, { id: 1, method: 'liar', params: [] }, context);
    expect(reply).toMatchObject({ ok: false, error: { code: Code.Internal } });
    expect(logger.errors).toHaveLength(1);
  });

  it('a subscription without push is a clear error naming the fallback', async () => {
    const { run } = setup();
    const error = await errorOf(run('chat.subscribe', ['lobby']));
    expect(error.code).toBe(Code.Unsupported);
    expect(error.message).toContain('chat.history');
  });
});

describe('dispatch: middleware', () => {
  it('wraps every call, sees the outcome and can refuse', async () => {
    const seen: string[] = [];
    const registry = createRegistry(createDemoService(), {
      logger: silent(),
      middleware: [
        async (call, _ctx, next) => {
          seen.push(`>${call.method}`);
          try {
            return await next();
          } finally {
            seen.push(`<${call.method}`);
          }
        },
        async (call, ctx, next) => {
          if (call.method === 'echo' && ctx.session.get('user') === undefined) {
            throw new RpcError(401, 'login first');
          }
          return next();
        },
      ],
    });
    const { context } = createConnectionContext({ protocol: 'test' });
    expect(await dispatch(registry, { id: 1, method: 'add', params: [1, 1] }, context)).toMatchObject({
      result: 2,
    });
    expect(await dispatch(registry, { id: 2, method: 'echo', params: [1] }, context)).toMatchObject({
      ok: false,
      error: { code: 401 },
    });
    context.session.set('user', 'amy');
    expect(await dispatch(registry, { id: 3, method: 'echo', params: [1] }, context)).toMatchObject({
      result: 1,
    });
    expect(seen).toEqual(['>add', '<add', '>echo', '<echo', '>echo', '<echo']);
  });
});

describe('registry: definitions', () => {
  const noop = procedure({ doc: '', params: [], result: z.null(), handler: () => null });

  it.each([
    ['a reserved root', { system: { x: noop } }],
    ['rpc root', { rpc: { x: noop } }],
    ['__proto__ segment', JSON.parse('{"__proto__": 1}')],
    ['a dotted key', { 'a.b': noop }],
    ['a $ key', { $close: noop }],
  ])('rejects %s', (_label, tree) => {
    expect(() => createRegistry(defineService(tree as never))).toThrow(/rpc:/);
  });

  it('rejects a required parameter after an optional one', () => {
    const bad = procedure({
      doc: '',
      params: [param('a', z.number().optional()), param('b', z.number())],
      result: z.null(),
      handler: () => null,
    });
    expect(() => createRegistry(defineService({ bad }))).toThrow(/follows an optional/);
  });
});

describe('introspection', () => {
  it('lists, documents and signs procedures', async () => {
    const { run } = setup();
    const list = await run('system.listMethods', []);
    expect(list).toMatchObject({ ok: true });
    const names = (list as { result: string[] }).result;
    for (const n of [
      'add',
      'hypotenuse',
      'credentials.lookup',
      'echo',
      'chat.send',
      'chat.history',
      'chat.subscribe',
    ]) {
      expect(names).toContain(n);
    }
    expect(names).toContain('system.methodHelp');
    expect(await run('system.methodHelp', ['add'])).toMatchObject({
      result: expect.stringMatching(/^add\(a, b\)/),
    });
    expect(await run('system.methodSignature', ['hypotenuse'])).toMatchObject({
      result: [
        ['int', 'int', 'int'],
        ['double', 'double', 'double'],
      ],
    });
    expect(await run('system.methodSignature', ['credentials.lookup'])).toMatchObject({
      result: [['string', 'string']],
    });
    expect(await errorOf(run('system.methodHelp', ['__proto__']))).toMatchObject({
      code: Code.MethodNotFound,
    });
  });

  it('describes the service as an OpenRPC document', async () => {
    const { run } = setup();
    const reply = await run('rpc.discover', []);
    const doc = (
      reply as { result: { openrpc: string; methods: { name: string; params: { name: string }[] }[] } }
    ).result;
    expect(doc.openrpc).toMatch(/^1\./);
    const add = doc.methods.find((m) => m.name === 'add');
    expect(add?.params.map((p) => p.name)).toEqual(['a', 'b']);
    expect(doc.methods.some((m) => m.name.startsWith('system.'))).toBe(false);
  });
});

describe('subscriptions through dispatch', () => {
  it('opens, pushes after the reply is sent, and unsubscribes', async () => {
    const pushes: unknown[] = [];
    const { createSubscriptions } = await import('../../src/rpc/subscriptions.js');
    const subs = createSubscriptions((p) => {
      pushes.push(p);
    });
    const svc = defineService({
      ticks: subscription({
        doc: 'counts',
        params: [param('n', z.number().int())],
        event: z.number(),
        handler: async function* ({ n }) {
          for (let i = 0; i < n; i++) yield i;
        },
      }),
    });
    const registry = createRegistry(svc, { logger: silent() });
    const { context } = createConnectionContext({ protocol: 'test', subscriptions: subs });
    const reply = await dispatch(registry, { id: 1, method: 'ticks', params: [3] }, context);
    expect(reply).toMatchObject({ ok: true, result: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(pushes).toEqual([]); // nothing before the transport says the reply went out
    reply?.onSent?.();
    await vi.waitFor(() => expect(pushes).toHaveLength(4));
    expect(pushes).toEqual([
      { kind: 'event', subscription: 1, event: 0 },
      { kind: 'event', subscription: 1, event: 1 },
      { kind: 'event', subscription: 1, event: 2 },
      { kind: 'end', subscription: 1 },
    ]);
    expect(
      await dispatch(registry, { id: 2, method: 'rpc.unsubscribe', params: [1] }, context),
    ).toMatchObject({
      result: false,
    });
  });
});

describe('contexts', () => {
  it('a connection context aborts its signal when the connection ends, even if first read after', async () => {
    const { createRequestContext } = await import('../../src/rpc/context.js');
    const early = createConnectionContext({ protocol: 'test' });
    const signal = early.context.signal;
    expect(signal.aborted).toBe(false);
    early.abort();
    expect(signal.aborted).toBe(true);
    const late = createConnectionContext({ protocol: 'test' });
    late.abort();
    expect(late.context.signal.aborted).toBe(true);
    const request = createRequestContext({ protocol: 'test' });
    request.end();
    expect(request.context.signal.aborted).toBe(true);
    expect(late.context.session).toBe(late.context.session);
  });
});
