import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { Code } from '../../src/rpc/errors.js';
import { createRegistry, type Logger, type RegistryOptions } from '../../src/rpc/registry.js';
import { defineService, procedure } from '../../src/rpc/service.js';

const silent = (): Logger & { errors: { message: string; fields: unknown }[] } => {
  const errors: { message: string; fields: unknown }[] = [];
  return { errors, debug() {}, error: (message, fields) => errors.push({ message, fields }) };
};

// A handler that breaks its declared result type: `result: z.string()`, returns 42.
const liar = defineService({
  liar: procedure({
    doc: 'declares a string, returns a number',
    params: [],
    result: z.string(),
    handler: () => 42 as unknown as string,
  }),
  honest: procedure({
    doc: 'declares a string, returns one',
    params: [],
    result: z.string(),
    handler: () => 'fine',
  }),
  later: procedure({
    doc: 'async handler that breaks its result type',
    params: [],
    result: z.string(),
    handler: async () => 42 as unknown as string,
  }),
});

const run = (method: string, options: RegistryOptions = {}) => {
  const logger = silent();
  const registry = createRegistry(liar, { logger, ...options });
  const { context } = createConnectionContext({ protocol: 'test' });
  return { logger, reply: dispatch(registry, { id: 1, method, params: [] }, context) };
};

// Microtask turns until a promise settles: a measure of how many awaits a call takes.
async function turnsUntilSettled(p: Promise<unknown>): Promise<number> {
  let settled = false;
  void p.then(() => {
    settled = true;
  });
  let turns = 0;
  while (!settled && turns < 50) {
    await Promise.resolve();
    turns++;
  }
  return turns;
}

const savedEnv = process.env.NODE_ENV;
afterEach(() => {
  process.env.NODE_ENV = savedEnv;
});

describe('result validation (issue 10 item 3)', () => {
  it('is on by default outside tests: a bad result is -32603 and a logged bug', async () => {
    process.env.NODE_ENV = 'production';
    const { logger, reply } = run('liar');
    expect(await reply).toMatchObject({
      ok: false,
      error: { code: Code.Internal, message: 'rpc: internal error' },
    });
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.message).toBe('rpc: liar failed');
    const logged = logger.errors[0]?.fields as { error?: Error } | undefined;
    expect(logged?.error?.message).toContain('liar produced an invalid result');
  });

  it('checks the result of an async handler too', async () => {
    process.env.NODE_ENV = 'production';
    const { logger, reply } = run('later');
    expect(await reply).toMatchObject({ ok: false, error: { code: Code.Internal } });
    expect(logger.errors).toHaveLength(1);
  });

  it('can be turned off with validateResults: false', async () => {
    const { logger, reply } = run('liar', { validateResults: false });
    expect(await reply).toEqual({ id: 1, ok: true, result: 42 });
    expect(logger.errors).toHaveLength(0);
  });

  it('a good result passes unchanged', async () => {
    const { reply } = run('honest');
    expect(await reply).toEqual({ id: 1, ok: true, result: 'fine' });
  });

  it('keeps a sync handler with a sync schema free of awaits', async () => {
    const on = await turnsUntilSettled(run('honest', { validateResults: true }).reply);
    const off = await turnsUntilSettled(run('honest', { validateResults: false }).reply);
    expect(on).toBe(off);
    expect(on).toBeLessThanOrEqual(1);
  });
});
