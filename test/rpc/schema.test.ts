/**
 * Validation through the Standard Schema interface (src/rpc/schema.ts): sync stays
 * sync, async returns a promise, issue paths are prefixed, and JSON Schema is derived
 * where the library can produce it.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  acceptsUndefined,
  jsonSchemaOf,
  type Schema,
  type Validated,
  validate,
} from '../../src/rpc/schema.js';

/** A hand-written Standard Schema with no JSON Schema support: accepts even numbers. */
const even = (async: boolean): Schema<number> => {
  const check = (value: unknown): StandardSchemaV1.Result<number> =>
    typeof value === 'number' && value % 2 === 0
      ? { value }
      : { issues: [{ message: 'not even', path: [{ key: 'n' }, 0] }] };
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) => (async ? Promise.resolve(check(value)) : check(value)),
    },
  };
};

describe('schema: validate', () => {
  it('stays synchronous for a synchronous schema', () => {
    const ok = validate(z.number(), 3, 'a');
    expect(ok).not.toBeInstanceOf(Promise);
    expect(ok).toEqual({ ok: true, value: 3 });
    const bad = validate(z.number(), 'x', 'a');
    expect(bad).not.toBeInstanceOf(Promise);
    expect(bad).toMatchObject({ ok: false, issues: [{ path: ['a'] }] });
  });

  it('returns the parsed value (transforms apply)', () => {
    expect(
      validate(
        z.string().transform((s) => s.length),
        'four',
        'a',
      ),
    ).toEqual({ ok: true, value: 4 });
  });

  it('returns a promise for an async schema', async () => {
    const schema = z.number().refine(async (n) => n > 0, 'must be positive');
    const ok = validate(schema, 1, 'n');
    expect(ok).toBeInstanceOf(Promise);
    expect(await ok).toEqual({ ok: true, value: 1 });
    const bad = await validate(schema, -1, 'n');
    expect(bad).toEqual({ ok: false, issues: [{ message: 'must be positive', path: ['n'] }] });
  });

  it('prefixes issue paths with the parameter, and flattens path segments', async () => {
    const nested = z.object({ list: z.array(z.object({ x: z.number() })) });
    const bad = validate(nested, { list: [{ x: 1 }, { x: 'two' }] }, 'arg');
    expect(bad).toMatchObject({ ok: false, issues: [{ path: ['arg', 'list', 1, 'x'] }] });
    expect(validate(even(false), 3, 2)).toEqual({
      ok: false,
      issues: [{ message: 'not even', path: [2, 'n', 0] }],
    });
    expect(await validate(even(true), 3, 'p')).toEqual({
      ok: false,
      issues: [{ message: 'not even', path: ['p', 'n', 0] }],
    });
    expect(await validate(even(true), 4, 'p')).toEqual({ ok: true, value: 4 });
  });

  it('reports every issue', () => {
    const r = validate(z.object({ a: z.number(), b: z.string() }), { a: 'x', b: 1 }, 'o') as Validated;
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual([
      ['o', 'a'],
      ['o', 'b'],
    ]);
  });
});

describe('schema: acceptsUndefined', () => {
  it.each([
    [z.number().optional(), true],
    [z.unknown(), true],
    [z.number().default(1), true],
    [z.number(), false],
    [z.string().nullable(), false],
    [z.number().refine(async () => true), false],
    [even(false), false],
    [even(true), false],
  ])('%#', (schema, expected) => {
    expect(acceptsUndefined(schema as Schema)).toBe(expected);
  });
});

describe('schema: jsonSchemaOf', () => {
  it('derives JSON Schema from zod, without $schema', () => {
    expect(jsonSchemaOf(z.string())).toEqual({ type: 'string' });
    expect(jsonSchemaOf(z.number())).toMatchObject({ type: 'number' });
    expect(jsonSchemaOf(z.number().int())).toMatchObject({ type: 'integer' });
    expect(jsonSchemaOf(z.boolean())).toEqual({ type: 'boolean' });
    expect(jsonSchemaOf(z.iso.datetime())).toMatchObject({ type: 'string', format: 'date-time' });
    expect(jsonSchemaOf(z.array(z.string()))).toMatchObject({ type: 'array', items: { type: 'string' } });
    const obj = jsonSchemaOf(z.object({ a: z.number() }));
    expect(obj).toMatchObject({ type: 'object', properties: { a: { type: 'number' } } });
    expect(obj).not.toHaveProperty('$schema');
  });

  it('gives {} (any value) for what JSON Schema cannot say, or a library without it', () => {
    expect(jsonSchemaOf(z.unknown())).toEqual({});
    expect(jsonSchemaOf(even(false))).toEqual({});
  });

  it('gives {} when the converter throws', () => {
    const broken = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value: unknown) => ({ value }),
        jsonSchema: {
          input: () => {
            throw new Error('cannot');
          },
          output: () => {
            throw new Error('cannot');
          },
        },
      },
    } as unknown as Schema;
    expect(jsonSchemaOf(broken)).toEqual({});
    expect(jsonSchemaOf(broken, 'output')).toEqual({});
  });

  it('uses the output side when asked (a transform)', () => {
    const s = z
      .string()
      .transform((v) => v.length)
      .pipe(z.number());
    expect(jsonSchemaOf(s, 'input')).toMatchObject({ type: 'string' });
    expect(jsonSchemaOf(s, 'output')).toMatchObject({ type: 'number' });
  });
});
