/**
 * The demo service (`polyrpc/demo`).
 *
 * Exports: createDemoService (DemoServiceOptions), demoService, DemoService, CREDENTIALS,
 * UNKNOWN_SPECIES, isPortableText, and the chat broker seam (Broker, ChatMessage,
 * createMemoryBroker, MemoryBroker, MemoryBrokerOptions, MemoryBrokerStats,
 * DEFAULT_MAX_BYTES, messageBytes), and the Redis Streams broker (createRedisBroker,
 * RedisBroker, RedisBrokerOptions, redactUrl; see docs/scaling.md).
 */

export {
  type Broker,
  type ChatMessage,
  createMemoryBroker,
  DEFAULT_MAX_BYTES,
  type MemoryBroker,
  type MemoryBrokerOptions,
  type MemoryBrokerStats,
  messageBytes,
} from './broker.js';
export {
  createRedisBroker,
  type RedisBroker,
  type RedisBrokerOptions,
  redactUrl,
} from './redis-broker.js';
export {
  CREDENTIALS,
  chatMessage,
  createDemoService,
  type DemoService,
  type DemoServiceOptions,
  demoService,
  isPortableText,
  UNKNOWN_SPECIES,
} from './service.js';
