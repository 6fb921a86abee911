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
 * WIRE_TYPE is the JSON Schema keyword that marks a value JSON has no type for:
 * `"Date"` (XML-RPC dateTime.iso8601, msgpack timestamp, a JSON-RPC ISO 8601 string) or
 * `"Uint8Array"` (XML-RPC base64, msgpack bin, a JSON-RPC base64 string).
 */
export const WIRE_TYPE = 'x-wire-type';

/** DATE_SCHEMA is the JSON Schema of a Date: what JSON-RPC sends for one, marked. */
export const DATE_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'string',
  format: 'date-time',
  [WIRE_TYPE]: 'Date',
};

/** BYTES_SCHEMA is the JSON Schema of binary data: what JSON-RPC sends for it, marked. */
export const BYTES_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'string',
  contentEncoding: 'base64',
  [WIRE_TYPE]: 'Uint8Array',
};

function accepts(schema: Schema, value: unknown): boolean {
  const r = schema['~standard'].validate(value);
  return !(r instanceof Promise) && r.issues === undefined;
}

const someBytes = (): Uint8Array => {
  const B = (globalThis as { Buffer?: { alloc(n: number): Uint8Array } }).Buffer;
  return B === undefined ? new Uint8Array(1) : B.alloc(1);
};

/**
 * wireSchemaOf tells, by trying values on it, whether a schema JSON Schema cannot
 * express takes Dates or bytes: a date schema accepts a Date and refuses a word and
 * an object (`z.coerce.date()` included); a bytes schema accepts a Uint8Array and
 * refuses a string, a number and an array. Returns {@link DATE_SCHEMA},
 * {@link BYTES_SCHEMA} or undefined.
 */
export function wireSchemaOf(schema: Schema): Readonly<Record<string, unknown>> | undefined {
  if (accepts(schema, new Date(0)) && !accepts(schema, 'x') && !accepts(schema, {})) return DATE_SCHEMA;
  if (accepts(schema, someBytes()) && !accepts(schema, '') && !accepts(schema, 0) && !accepts(schema, []))
    return BYTES_SCHEMA;
  return undefined;
}

// zod hands each node to `override`; the nodes it could not express ({}) that take
// Dates or bytes are filled in, at any depth.
const override = (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void => {
  if (Object.keys(ctx.jsonSchema).length > 0) return;
  const s = ctx.zodSchema as Partial<Schema>;
  if (typeof s?.['~standard']?.validate !== 'function') return;
  const wire = wireSchemaOf(s as Schema);
  if (wire !== undefined) Object.assign(ctx.jsonSchema, wire);
};

/**
 * jsonSchemaOf returns a schema's JSON Schema when the validator library can produce
 * one (Standard JSON Schema), else `{}` (any value). Dates and bytes, which JSON
 * Schema has no type for, come out as {@link DATE_SCHEMA} and {@link BYTES_SCHEMA}.
 */
export function jsonSchemaOf(schema: Schema, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const std = (schema as unknown as Partial<StandardJSONSchemaV1>)['~standard'];
  const converter = std?.jsonSchema;
  let rest: Record<string, unknown> = {};
  if (converter !== undefined) {
    try {
      const doc = converter[io]({
        target: 'draft-2020-12',
        libraryOptions: { unrepresentable: 'any', override },
      });
      const { $schema: _drop, ...fields } = doc;
      rest = fields;
    } catch {
      rest = {};
    }
  }
  if (Object.keys(rest).length > 0) return rest;
  const wire = wireSchemaOf(schema);
  return wire === undefined ? rest : { ...wire };
}

/** acceptsUndefined tells whether a schema accepts a missing value (an optional parameter). */
export function acceptsUndefined(schema: Schema): boolean {
  const result = schema['~standard'].validate(undefined);
  if (result instanceof Promise) return false;
  return result.issues === undefined;
}
