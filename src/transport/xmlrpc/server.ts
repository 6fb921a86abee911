/**
 * The XML-RPC server side: an {@link HttpBinding} answering `POST /RPC2` and `POST /`
 * with methodResponse documents, plus `system.multicall`.
 */
import { type Context, createRequestContext } from '../../rpc/context.js';
import { dispatch } from '../../rpc/dispatch.js';
import { Code, RpcError } from '../../rpc/errors.js';
import type { Registry } from '../../rpc/registry.js';
import type { HttpBinding, HttpHandler, HttpRequestInfo, HttpResult, Limits } from '../types.js';
import { decodeCall, encodeFault, encodeResult } from './codec.js';

/** MULTICALL is the name of the batch method (the de-facto spec, as Python serves it). */
export const MULTICALL = 'system.multicall';

const CONTENT_TYPE = 'text/xml';

function fault(error: RpcError): HttpResult {
  return { status: 200, contentType: CONTENT_TYPE, body: encodeFault(error.code, error.message) };
}

function faultStruct(error: RpcError): { faultCode: number; faultString: string } {
  return { faultCode: error.code, faultString: error.message };
}

// One multicall entry: [result] on success, a fault struct in place on failure.
async function runEntry(registry: Registry, entry: unknown, ctx: Context): Promise<unknown> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return faultStruct(new RpcError(Code.InvalidRequest, 'xmlrpc: a multicall entry must be a struct'));
  const { methodName, params } = entry as { methodName?: unknown; params?: unknown };
  if (typeof methodName !== 'string')
    return faultStruct(
      new RpcError(Code.InvalidRequest, 'xmlrpc: a multicall entry needs a methodName string'),
    );
  if (methodName === MULTICALL)
    return faultStruct(new RpcError(Code.InvalidRequest, 'xmlrpc: system.multicall cannot be nested'));
  if (params !== undefined && !Array.isArray(params))
    return faultStruct(new RpcError(Code.InvalidRequest, 'xmlrpc: multicall params must be an array'));
  const reply = await dispatch(registry, { id: 0, method: methodName, params: params ?? [] }, ctx);
  if (reply === null) return faultStruct(new RpcError(Code.Internal, 'rpc: internal error'));
  return reply.ok ? [reply.result] : faultStruct(reply.error);
}

// Entries run one after another, in order, as Python's server runs them: a batch may
// depend on its own side effects (chat.send, then chat.history).
async function multicall(
  registry: Registry,
  limits: Limits,
  params: unknown[],
  ctx: Context,
): Promise<unknown[]> {
  const calls = params[0];
  if (params.length !== 1 || !Array.isArray(calls))
    throw new RpcError(Code.InvalidParams, 'xmlrpc: system.multicall takes one array of calls');
  if (calls.length > limits.maxBatch)
    throw new RpcError(Code.LimitExceeded, `xmlrpc: a multicall holds at most ${limits.maxBatch} calls`);
  const results = new Array<unknown>(calls.length);
  for (let i = 0; i < calls.length; i++) results[i] = await runEntry(registry, calls[i], ctx);
  return results;
}

function encodeOutcome(registry: Registry, method: string, result: unknown): HttpResult {
  try {
    return { status: 200, contentType: CONTENT_TYPE, body: encodeResult(result) };
  } catch (err) {
    // A result with no XML-RPC form (NaN, a cycle) is the service's bug, not the caller's.
    registry.logger.error(`xmlrpc: ${method} returned a value XML-RPC cannot carry`, { error: err });
    return fault(new RpcError(Code.Internal, 'rpc: internal error'));
  }
}

async function handle(
  registry: Registry,
  limits: Limits,
  body: Buffer,
  info: HttpRequestInfo,
): Promise<HttpResult> {
  let method: string;
  let params: unknown[];
  try {
    ({ method, params } = decodeCall(body, { maxDepth: limits.maxDepth }));
  } catch (err) {
    return fault(RpcError.from(err));
  }
  // The session is the keep-alive connection's; the abort signal is made only if a
  // handler reads it.
  const { context, end } = createRequestContext({
    protocol: 'xmlrpc',
    peer: info.peer,
    session: info.session,
  });
  try {
    if (method === MULTICALL)
      return encodeOutcome(registry, method, await multicall(registry, limits, params, context));
    const reply = await dispatch(registry, { id: 0, method, params }, context);
    if (reply === null) return fault(new RpcError(Code.Internal, 'rpc: internal error'));
    if (!reply.ok) return fault(reply.error);
    // system.multicall lives here, not in the registry: list it as Python's server does.
    const result =
      method === 'system.listMethods' && Array.isArray(reply.result)
        ? [...reply.result, MULTICALL].sort()
        : reply.result;
    return encodeOutcome(registry, method, result);
  } catch (err) {
    return fault(RpcError.from(err));
  } finally {
    end();
  }
}

/**
 * http is the XML-RPC binding for the shared HTTP server: `POST /RPC2` and `POST /`.
 * Every outcome is HTTP 200 `text/xml`: a result, or a fault whose faultCode and
 * faultString are the RpcError's code and message. Each request gets a fresh context
 * (its session lives for that one request), aborted once the reply is built.
 */
export const http: HttpBinding = {
  paths: ['/RPC2', '/'],
  createHandler(registry: Registry, limits: Limits): HttpHandler {
    return (body, info) => handle(registry, limits, body, info);
  },
};
