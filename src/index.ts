/**
 * polyrpc: typed remote procedures, served at once over XML-RPC, JSON-RPC 2.0 and
 * MessagePack.
 *
 * Exports: defining a service (defineService, procedure, subscription, param, and
 * their types); the error model (RpcError, Code, TransportError, ResponseError);
 * serving it (serve, defaultLimits) and observing it (Metrics, Observer); calling it (createClient, the in-process
 * transport, Client); introspection (describe); and the transport seams for writing
 * a protocol (Protocol, protocols, protocolFor).
 */

// Authentication and authorization
export {
  type AccessRule,
  type Authenticate,
  type Credentials,
  createTokenAuthenticator,
  type Guard,
  guard,
  type TokenIdentity,
} from './rpc/auth.js';
// The error model
export { Code, RpcError, type RpcErrorShape } from './rpc/errors.js';
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
  type PeerCertificate,
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
// Introspection
export { describe, type MethodInfo, type ParamInfo } from './rpc/introspection.js';
// Calling
export {
  type BatchItem,
  type BatchResults,
  type Client,
  type Contract,
  createClient,
  createInProcessTransport,
} from './sdk/index.js';
// Client-side failures
export { ResponseError, TransportError, type TransportErrorReason } from './transport/errors.js';
// Writing a protocol
export { protocolFor, protocols } from './transport/index.js';
// Observability (docs/operations.md)
export type { Metrics } from './transport/metrics.js';
export type { ByteCounts, LimitName, Observer } from './transport/observer.js';
// Serving
export { type Listener, type RpcServer, type ServeOptions, serve } from './transport/serve.js';
// Options, limits and seams
export {
  type CallOptions,
  type ClientAuth,
  type ClientOptions,
  type ClientTransport,
  type ConnectionState,
  defaultLimits,
  type HeartbeatOptions,
  type HttpBinding,
  type Limits,
  type Protocol,
  type ReconnectOptions,
  type RemoteSubscription,
  type Settled,
  type StateChange,
  type StreamBinding,
} from './transport/types.js';
