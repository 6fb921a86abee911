/**
 * Binding: a procedure's precomputed parameter table, and turning wire params
 * (positional or named) into the arguments object its handler receives.
 */
import type { AccessRule } from './auth.js';
import { Code, RpcError } from './errors.js';
import type { Params } from './message.js';
import { acceptsUndefined } from './schema.js';
import type { AnyProcedure } from './service.js';

/** SEGMENT is the form of one dotted-name segment and of a parameter name. @internal */
export const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** FORBIDDEN names can never be a segment or parameter, whatever the definition says. @internal */
export const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype', 'then']);

/** Procedure is a registered procedure with its binding data precomputed. @internal */
export interface Procedure {
  readonly name: string;
  readonly def: AnyProcedure;
  /** Index of each parameter by name, for named arguments. */
  readonly index: ReadonlyMap<string, number>;
  /** Parameters that must be given (the rest accept undefined). */
  readonly required: number;
  /** True for the built-in introspection procedures. */
  readonly builtin: boolean;
  /** Who may call it: the definition's `allow` and every guard over its namespace. */
  readonly allow?: AccessRule;
}

/** compile precomputes a procedure's binding data and checks its parameter list. @internal */
export function compile(name: string, def: AnyProcedure, builtin = false): Procedure {
  const index = new Map<string, number>();
  let required = 0;
  let sawOptional = false;
  def.params.forEach((p, i) => {
    if (!SEGMENT.test(p.name) || FORBIDDEN.has(p.name))
      throw new Error(`rpc: ${name}: bad parameter name "${p.name}"`);
    if (index.has(p.name)) throw new Error(`rpc: ${name}: duplicate parameter "${p.name}"`);
    index.set(p.name, i);
    if (acceptsUndefined(p.schema)) sawOptional = true;
    else if (sawOptional)
      throw new Error(`rpc: ${name}: required parameter "${p.name}" follows an optional one`);
    else required = i + 1;
  });
  return def.allow === undefined
    ? { name, def, index, required, builtin }
    : { name, def, index, required, builtin, allow: def.allow };
}

/**
 * bindArgs maps wire params onto the procedure's parameter names. Too many, too few
 * or unknown names are {@link Code.InvalidParams}. Values are not validated here.
 */
export function bindArgs(proc: Procedure, params: Params | undefined): unknown[] {
  const list = proc.def.params;
  if (params === undefined) {
    if (proc.required > 0) throw invalid(proc, `expected at least ${proc.required} argument(s), got none`);
    return new Array(list.length);
  }
  if (Array.isArray(params)) {
    const n = params.length;
    if (n > list.length) throw invalid(proc, `expected at most ${list.length} argument(s), got ${n}`);
    if (n < proc.required) throw invalid(proc, `expected at least ${proc.required} argument(s), got ${n}`);
    return n === list.length ? (params as unknown[]) : [...params, ...new Array(list.length - n)];
  }
  if (typeof params !== 'object' || params === null)
    throw invalid(proc, 'params must be an array or an object');
  const values = new Array<unknown>(list.length);
  for (const key of Object.keys(params)) {
    const i = proc.index.get(key);
    if (i === undefined) throw invalid(proc, `unknown parameter ${JSON.stringify(key.slice(0, 64))}`);
    values[i] = (params as Record<string, unknown>)[key];
  }
  for (let i = 0; i < proc.required; i++) {
    if (values[i] === undefined) throw invalid(proc, `missing parameter "${list[i]?.name}"`);
  }
  return values;
}

function invalid(proc: Procedure, detail: string): RpcError {
  return new RpcError(Code.InvalidParams, `rpc: invalid params for ${proc.name}: ${detail}`);
}
