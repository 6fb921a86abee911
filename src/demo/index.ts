/**
 * The demo service (`polyrpc/demo`).
 *
 * Exports: createDemoService, demoService, DemoService, CREDENTIALS, UNKNOWN_SPECIES,
 * and the chat broker seam (Broker, createMemoryBroker, ChatMessage).
 */

export { type Broker, type ChatMessage, createMemoryBroker, type MemoryBrokerOptions } from './broker.js';
export {
  CREDENTIALS,
  chatMessage,
  createDemoService,
  type DemoService,
  demoService,
  UNKNOWN_SPECIES,
} from './service.js';
