/**
 * An in-process transport: calls go straight to dispatch, with no bytes in between.
 * It behaves like one connection (one session, its own subscriptions), so it serves
 * tests and embedding.
 */
import { createConnectionContext } from '../rpc/context.js';
import { dispatch } from '../rpc/dispatch.js';
import { createQueue, type Queue } from '../rpc/queue.js';
import { createRegistry, type Registry, type RegistryOptions } from '../rpc/registry.js';
import type { Service } from '../rpc/service.js';
import { createSubscriptions } from '../rpc/subscriptions.js';
import { ResponseError, TransportError } from '../transport/errors.js';
import { remoteSubscription } from '../transport/remote-subscription.js';
import type { CallOptions, ClientTransport, OutgoingCall, RemoteSubscription } from '../transport/types.js';

/**
 * createInProcessTransport serves `target` (a service, or a registry built from one)
 * to a client in the same process.
 */
export function createInProcessTransport(
  target: Service | Registry,
  options: RegistryOptions & { readonly subscriptionBuffer?: number } = {},
): ClientTransport {
  const registry = 'procedures' in target ? target : createRegistry(target, options);
  const queues = new Map<number, Queue<unknown>>();
  const subscriptions = createSubscriptions((push) => {
    const queue = queues.get(push.subscription);
    if (queue === undefined) return;
    if (push.kind === 'event') queue.push(push.event);
    else {
      queues.delete(push.subscription);
      queue.end(push.error);
    }
  });
  const { context, abort } = createConnectionContext({ protocol: 'inprocess', subscriptions });
  let nextId = 0;
  let closed = false;
  const inFlight = new Set<(e: Error) => void>();

  const call = (
    c: OutgoingCall,
    opts: CallOptions | undefined,
    onResult?: (result: unknown) => void,
  ): Promise<unknown> => {
    if (closed) return Promise.reject(new TransportError('closed', 'inprocess: client closed'));
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const fail = (e: Error): void => {
        done();
        reject(e);
      };
      const onAbort = (): void =>
        fail(new TransportError('aborted', 'rpc: call aborted', { cause: opts?.signal?.reason }));
      const done = (): void => {
        inFlight.delete(fail);
        if (timer !== undefined) clearTimeout(timer);
        opts?.signal?.removeEventListener('abort', onAbort);
      };
      if (opts?.signal?.aborted) return onAbort();
      opts?.signal?.addEventListener('abort', onAbort, { once: true });
      const timeout = opts?.timeout ?? 30_000;
      if (timeout > 0) {
        timer = setTimeout(
          () => fail(new TransportError('timeout', `inprocess: call timed out after ${timeout} ms`)),
          timeout,
        );
      }
      inFlight.add(fail);
      void dispatch(registry, { id, method: c.method, params: c.params }, context).then((reply) => {
        if (!inFlight.has(fail)) return;
        done();
        if (reply === null) reject(new ResponseError('inprocess: no reply'));
        else if (reply.ok) {
          onResult?.(reply.result); // a subscription's queue exists before its first event
          resolve(reply.result);
          reply.onSent?.();
        } else reject(reply.error);
      });
    });
  };

  const subscribe = (c: OutgoingCall, opts: CallOptions | undefined): RemoteSubscription<unknown> => {
    let subId: number | undefined;
    const queue = createQueue<unknown>({
      capacity: options.subscriptionBuffer ?? 1024,
      onClose: () => {
        if (subId !== undefined && queues.delete(subId)) subscriptions.close(subId);
      },
    });
    const ready = call(c, opts).then((result) => {
      if (typeof result !== 'number')
        throw new ResponseError(`inprocess: ${c.method} did not return a subscription id`);
      subId = result;
      queues.set(subId, queue);
    });
    return remoteSubscription(queue, ready);
  };

  return {
    protocol: 'inprocess',
    call: (c, opts) => call(c, opts),
    async notify(c) {
      await dispatch(registry, { method: c.method, params: c.params }, context);
    },
    subscribe,
    async close() {
      if (closed) return;
      closed = true;
      const error = new TransportError('closed', 'inprocess: client closed');
      for (const fail of inFlight) fail(error);
      for (const q of queues.values()) q.end(error);
      queues.clear();
      abort();
    },
  };
}
