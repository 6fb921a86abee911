/**
 * Serving msgpack-rpc: a TCP listener on the shared stream loop (pipelined calls,
 * per-tick batched writes, server push). MessagePack has no HTTP binding here.
 */
import { createStreamServer } from '../stream-server.js';
import type { StreamBinding } from '../types.js';
import { serverCodec } from './codec.js';

/** PROTOCOL is the name msgpack calls carry in `Context.protocol`. */
export const PROTOCOL = 'msgpack';

/** DEFAULT_PORT is the TCP port msgpack is served on when none is configured. */
export const DEFAULT_PORT = 8002;

/** stream serves msgpack-rpc on its own TCP port, one length-prefixed frame per message. Defaults to port 8002. */
export const stream: StreamBinding = {
  defaultPort: DEFAULT_PORT,
  createServer: (registry, limits) => createStreamServer(registry, serverCodec, limits, PROTOCOL),
};
