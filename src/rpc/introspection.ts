/**
 * Introspection derived from the definitions: names, docs, signatures (JSON Schema
 * per parameter and result), exposed as `system.listMethods`, `system.methodHelp`,
 * `system.methodSignature` and `rpc.discover` (an OpenRPC document).
 */
import { z } from 'zod';
import { compile, type Procedure } from './bind.js';
import { Code, RpcError } from './errors.js';
import type { Registry } from './registry.js';
import { jsonSchemaOf } from './schema.js';
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
 * reports it. Schemas that allow several types (or any) are `"undef"`.
 */
export function xmlRpcType(schema: Readonly<Record<string, unknown>>): string {
  switch (schema.type) {
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return schema.format === 'date-time' ? 'dateTime.iso8601' : 'string';
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

/** openRpcDocument builds the `rpc.discover` answer (OpenRPC 1.3). */
export function openRpcDocument(registry: Registry): Record<string, unknown> {
  const methods = [...registry.procedures.values()]
    .filter((p) => !p.builtin)
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

function lookup(registry: Registry, name: string): Procedure {
  const proc = registry.procedures.get(name);
  if (proc === undefined)
    throw new RpcError(Code.MethodNotFound, `rpc: no method ${JSON.stringify(name.slice(0, 128))}`);
  return proc;
}

/** introspection returns the built-in procedures for a registry. @internal */
export function introspection(registry: Registry): Procedure[] {
  const name = z.string().max(256);
  const defs = {
    'system.listMethods': procedure({
      doc: 'Lists the names of every procedure, sorted.',
      params: [],
      result: z.array(z.string()),
      handler: () => [...registry.procedures.keys()].sort(),
    }),
    'system.methodHelp': procedure({
      doc: "Returns a procedure's documentation string.",
      params: [{ name: 'method', schema: name }],
      result: z.string(),
      handler: ({ method }) => lookup(registry, method).def.doc,
    }),
    'system.methodSignature': procedure({
      doc: 'Returns [[result type, param types...]] in XML-RPC type names.',
      params: [{ name: 'method', schema: name }],
      result: z.array(z.array(z.string())),
      handler: ({ method }) => {
        const info = describe(lookup(registry, method));
        return [[xmlRpcType(info.result), ...info.params.map((p) => xmlRpcType(p.schema))]];
      },
    }),
    'rpc.discover': procedure({
      doc: 'Returns an OpenRPC document describing this service.',
      params: [],
      result: z.record(z.string(), z.unknown()),
      handler: () => openRpcDocument(registry),
    }),
  };
  return Object.entries(defs).map(([n, def]) => compile(n, def, true));
}
