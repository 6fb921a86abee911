/**
 * remoteSubscription turns a client-side event queue and the promise of the server's
 * acceptance into a {@link RemoteSubscription}: a failed `ready` ends the iteration
 * with the same error, and `close()` is `return()`. Shared by every client transport.
 * @internal
 */
import type { Queue } from '../rpc/queue.js';
import type { RemoteSubscription } from './types.js';

export function remoteSubscription<T>(queue: Queue<T>, ready: Promise<void>): RemoteSubscription<T> {
  ready.catch((err: unknown) => queue.end(err));
  return Object.assign(queue, {
    ready,
    async close(): Promise<void> {
      await queue.return();
    },
  });
}
