/**
 * The demo chat's broker for `polyrpc serve`: in memory by default, on Redis with
 * `--redis URL` or `POLYRPC_REDIS_URL`. The Redis client is loaded only when asked for.
 */
import type { Broker } from '../demo/broker.js';
import { FatalError, UsageError } from './args.js';

/** ChatBroker is the broker chosen for the demo service and how to report and close it. */
export interface ChatBroker {
  /** The broker; undefined means the demo service's own in-memory one. */
  readonly broker: Broker | undefined;
  /** What the listener output says: `chat: memory broker` or `chat: redis broker at <url>`. */
  readonly line: string;
  /** close closes its connections (nothing for the memory broker). */
  close(): Promise<void>;
}

/** redisUrl returns the Redis URL from `--redis` or else `POLYRPC_REDIS_URL`, or undefined. */
export function redisUrl(flag: string | boolean | undefined, env = process.env): string | undefined {
  const url = typeof flag === 'string' ? flag : env.POLYRPC_REDIS_URL;
  if (url === undefined || url === '') return undefined;
  if (!/^rediss?:\/\/[^/]/.test(url))
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got "${url}"`);
  return url;
}

/**
 * openChatBroker connects the Redis broker when a URL is given.
 * @throws FatalError with one line when Redis cannot be reached.
 */
export async function openChatBroker(url: string | undefined): Promise<ChatBroker> {
  if (url === undefined) return { broker: undefined, line: 'chat: memory broker', close: async () => {} };
  const { createRedisBroker } = await import('../demo/redis-broker.js');
  try {
    const broker = await createRedisBroker({ url });
    return { broker, line: `chat: redis broker at ${broker.url}`, close: () => broker.close() };
  } catch (err) {
    throw new FatalError(`serve: ${err instanceof Error ? err.message : String(err)}`);
  }
}
