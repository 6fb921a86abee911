/**
 * Validation through the Standard Schema interface, so zod, valibot or arktype
 * schemas all work. {@link Infer} is the one mapping from a schema to a TS type.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';

/** Schema is any Standard Schema v1 validator. */
export type Schema<Input = unknown, Output = Input> = StandardSchemaV1<Input, Output>;

/** Infer is the type a schema produces after validation (what a handler receives). */
export type Infer<S extends Schema> = StandardSchemaV1.InferOutput<S>;

/** InferIn is the type a schema accepts (what a caller passes). */
export type InferIn<S extends Schema> = StandardSchemaV1.InferInput<S>;

/** Issue is one validation problem, in a wire-safe form. */
export interface Issue {
  readonly message: string;
  readonly path?: readonly (string | number)[];
}

/** Validated is the outcome of {@link validate}. */
export type Validated =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: Issue[] };

function toIssues(issues: readonly StandardSchemaV1.Issue[], prefix: string | number): Issue[] {
  return issues.map((issue) => {
    const path: (string | number)[] = [prefix];
    for (const seg of issue.path ?? []) {
      const key = typeof seg === 'object' ? seg.key : seg;
      path.push(typeof key === 'number' ? key : String(key));
    }
    return { message: issue.message, path };
  });
}

/**
 * validate runs a schema on one value. Synchronous schemas stay synchronous (no
 * promise is allocated on the hot path); async ones return a promise.
 * `at` prefixes the issue paths (a parameter name).
 */
export function validate(
  schema: Schema,
  value: unknown,
  at: string | number,
): Validated | Promise<Validated> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) return result.then((r) => settle(r, at));
  return settle(result, at);
}

function settle(result: StandardSchemaV1.Result<unknown>, at: string | number): Validated {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, issues: toIssues(result.issues, at) };
}

/**
 * jsonSchemaOf returns a schema's JSON Schema when the validator library can produce
 * one (Standard JSON Schema), else `{}` (any value).
 */
export function jsonSchemaOf(schema: Schema, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const std = (schema as unknown as Partial<StandardJSONSchemaV1>)['~standard'];
  const converter = std?.jsonSchema;
  if (converter === undefined) return {};
  try {
    const doc = converter[io]({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } });
    const { $schema: _drop, ...rest } = doc;
    return rest;
  } catch {
    return {};
  }
}

/** acceptsUndefined tells whether a schema accepts a missing value (an optional parameter). */
export function acceptsUndefined(schema: Schema): boolean {
  const result = schema['~standard'].validate(undefined);
  if (result instanceof Promise) return false;
  return result.issues === undefined;
}
