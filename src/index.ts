/**
 * polyrpc: typed remote procedures, served at once over XML-RPC, JSON-RPC 2.0 and
 * MessagePack.
 *
 * Exports, grouped: defining a service; serving it; calling it; the error model;
 * the transport seams for writing a protocol.
 */

// Defining a service
export {
  type ArgsOf,
  type CallDef,
  type Context,
  defineService,
  type Infer,
  type InferIn,
  type Logger,
  type Middleware,
  type Param,
  type Params,
  type Peer,
  type PositionalArgs,
  param,
  procedure,
  type RegistryOptions,
  type Schema,
  type Service,
  type ServiceInfo,
  type ServiceTree,
  type SubscriptionDef,
  subscription,
} from './rpc/index.js';
// Errors
export { Code, RpcError, type RpcErrorShape } from './rpc/errors.js';
export { ResponseError, TransportError, type TransportErrorReason } from './transport/errors.js';
// Serving
export { type Listener, type RpcServer, type ServeOptions, serve } from './transport/serve.js';
export { defaultLimits, type Limits } from './transport/types.js';
// Calling
export {
  type BatchItem,
  type BatchResults,
  type Client,
  type Contract,
  createClient,
  createInProcessTransport,
} from './sdk/index.js';
export type { CallOptions, ClientOptions, RemoteSubscription, Settled } from './transport/types.js';
// Writing a protocol
export { protocolFor, protocols } from './transport/index.js';
export type { ClientTransport, HttpBinding, Protocol, StreamBinding } from './transport/types.js';
// Introspection
export { describe, type MethodInfo, type ParamInfo } from './rpc/introspection.js';
