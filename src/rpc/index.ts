/**
 * The protocol-free core.
 *
 * Exports: defining services (defineService, procedure, subscription, param), the
 * error model (RpcError, Code), the registry and dispatch, introspection, and the
 * neutral message types.
 */

// Definition
export type { Context, Peer, PeerCertificate } from './context.js';
export { createConnectionContext } from './context.js';
// Dispatch
export { dispatch, type SentReply } from './dispatch.js';
// Errors
export { Code, isRpcErrorShape, RpcError, type RpcErrorShape } from './errors.js';
// Introspection
export {
  describe,
  type MethodInfo,
  openRpcDocument,
  type ParamInfo,
  signaturesOf,
  xmlRpcType,
} from './introspection.js';
// Messages
export type {
  Call,
  GoAway,
  Id,
  Params as WireParams,
  Push,
  Reply,
  ServerPush,
  SubscriptionId,
} from './message.js';
export { PushMethod } from './message.js';
export { createQueue, type Queue, type QueueOptions } from './queue.js';
// Registry
export {
  consoleLogger,
  createRegistry,
  type Logger,
  type Middleware,
  type Registry,
  type RegistryOptions,
} from './registry.js';
export type { Infer, InferIn, Issue, Schema } from './schema.js';
export {
  type ArgsOf,
  type CallDef,
  defineService,
  type Param,
  type Params,
  type PositionalArgs,
  type ProcedureDef,
  param,
  procedure,
  type Service,
  type ServiceInfo,
  type ServiceTree,
  type SubscriptionDef,
  subscription,
} from './service.js';
export {
  createSubscriptions,
  type PushSink,
  type Reservation,
  type Subscriptions,
  type SubscriptionsOptions,
} from './subscriptions.js';
