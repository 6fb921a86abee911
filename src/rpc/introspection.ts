/**
 * Introspection derived from the definitions: names, docs, signatures (JSON Schema
 * per parameter and result), exposed as `system.listMethods`, `system.methodHelp`,
 * `system.methodSignature` and `rpc.discover` (an OpenRPC document). Both report the
 * types the wire really carries: a Date is `dateTime.iso8601` (JSON Schema: an ISO
 * 8601 string, marked `x-wire-type: Date`), bytes are `base64` (a base64 string,
 * marked `x-wire-type: Uint8Array`), and a `number` that may be fractional has two
 * XML-RPC signatures, since an integral value is sent as `int` and any other as `double`.
 */
import { z } from 'zod';
import { mayCall } from './auth.js';
import { compile, type Procedure } from './bind.js';
import type { Context } from './context.js';
import { Code, RpcError } from './errors.js';
import type { Registry } from './registry.js';
import { jsonSchemaOf, WIRE_TYPE } from './schema.js';
import { procedure } from './service.js';

/** ParamInfo describes one parameter. */
export interface ParamInfo {
  readonly name: string;
  readonly required: boolean;
  readonly schema: Readonly<Record<string, unknown>>;
}

/** MethodInfo describes one procedure for tools (REPL completion, docs, OpenRPC). */
export interface MethodInfo {
  readonly name: string;
  readonly kind: 'call' | 'subscription';
  readonly doc: string;
  readonly params: readonly ParamInfo[];
  /** JSON Schema of the result (of each event, for a subscription). */
  readonly result: Readonly<Record<string, unknown>>;
}

/** describe returns one procedure's introspection data. */
export function describe(proc: Procedure): MethodInfo {
  const def = proc.def;
  return {
    name: proc.name,
    kind: def.kind,
    doc: def.doc,
    params: def.params.map((p, i) => ({
      name: p.name,
      required: i < proc.required,
      schema: jsonSchemaOf(p.schema),
    })),
    result: jsonSchemaOf(def.kind === 'call' ? def.result : def.event, 'output'),
  };
}

/**
 * xmlRpcType names the XML-RPC type of a JSON Schema, as `system.methodSignature`
 * reports it. A `number` is `numberAs` (an integral value is sent as `int`, any other
 * as `double`); defaults to `double`. Dates and bytes ({@link WIRE_TYPE}) are
 * `dateTime.iso8601` and `base64`; a date-time *string* stays a `string`, since that
 * is what is sent. Schemas that allow several types (or any) are `"undef"`.
 */
export function xmlRpcType(
  schema: Readonly<Record<string, unknown>>,
  numberAs: 'int' | 'double' = 'double',
): string {
  if (schema[WIRE_TYPE] === 'Date') return 'dateTime.iso8601';
  if (schema[WIRE_TYPE] === 'Uint8Array') return 'base64';
  switch (schema.type) {
    case 'integer':
      return 'int';
    case 'number':
      return numberAs;
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    case 'object':
      return 'struct';
    case 'null':
      return 'nil';
    default:
      return 'undef';
  }
}

/**
 * signaturesOf returns `system.methodSignature`'s answer: `[[result, ...params]]` in
 * XML-RPC type names. When a position is a `number` that may be fractional there are
 * two signatures, all such positions `int` in the first and `double` in the second
 * (`add` and `hypotenuse`: `[["int","int","int"],["double","double","double"]]`):
 * `hypotenuse(3, 4)` really replies `<int>5</int>`.
 */
export function signaturesOf(info: MethodInfo): string[][] {
  const positions = [info.result, ...info.params.map((p) => p.schema)];
  const asInt = positions.map((s) => xmlRpcType(s, 'int'));
  const asDouble = positions.map((s) => xmlRpcType(s, 'double'));
  return asInt.every((t, i) => t === asDouble[i]) ? [asInt] : [asInt, asDouble];
}

/**
 * openRpcDocument builds the `rpc.discover` answer (OpenRPC 1.3): with `ctx`, only the
 * procedures that caller may call.
 */
export function openRpcDocument(registry: Registry, ctx?: Context): Record<string, unknown> {
  const methods = [...registry.procedures.values()]
    .filter((p) => !p.builtin && (ctx === undefined || mayCall(p, ctx)))
    .map((p) => {
      const info = describe(p);
      return {
        name: info.name,
        description: info.doc,
        ...(info.kind === 'subscription' ? { 'x-subscription': true } : {}),
        params: info.params.map((q) => ({ name: q.name, required: q.required, schema: q.schema })),
        result: { name: info.kind === 'subscription' ? 'event' : 'result', schema: info.result },
      };
    });
  return {
    openrpc: '1.3.2',
    info: { title: registry.service.info.title, version: registry.service.info.version },
    methods,
  };
}

// A procedure the caller may not call is as unknown to it as one that does not exist.
function lookup(registry: Registry, name: string, ctx: Context): Procedure {
  const proc = registry.procedures.get(name);
  if (proc === undefined || !mayCall(proc, ctx))
    throw new RpcError(Code.MethodNotFound, `rpc: no method ${JSON.stringify(name.slice(0, 128))}`);
  return proc;
}

/** introspection returns the built-in procedures for a registry. @internal */
export function introspection(registry: Registry): Procedure[] {
  const name = z.string().max(256);
  const defs = {
    'system.listMethods': procedure({
      doc: 'Lists the names of every procedure the caller may call, sorted.',
      params: [],
      result: z.array(z.string()),
      handler: (_args, ctx) => {
        const names: string[] = [];
        for (const [n, p] of registry.procedures) if (mayCall(p, ctx)) names.push(n);
        return names.sort();
      },
    }),
    'system.methodHelp': procedure({
      doc: "Returns a procedure's documentation string.",
      params: [{ name: 'method', schema: name }],
      result: z.string(),
      handler: ({ method }, ctx) => lookup(registry, method, ctx).def.doc,
    }),
    'system.methodSignature': procedure({
      doc: 'Returns [[result type, param types...], ...] in XML-RPC type names, one list per signature.',
      params: [{ name: 'method', schema: name }],
      result: z.array(z.array(z.string())),
      handler: ({ method }, ctx) => signaturesOf(describe(lookup(registry, method, ctx))),
    }),
    'rpc.discover': procedure({
      doc: 'Returns an OpenRPC document describing the procedures the caller may call.',
      params: [],
      result: z.record(z.string(), z.unknown()),
      handler: (_args, ctx) => openRpcDocument(registry, ctx),
    }),
  };
  return Object.entries(defs).map(([n, def]) => compile(n, def, true));
}
