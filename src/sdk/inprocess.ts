/**
 * An in-process transport: an adapter of the message seam whose messages are the
 * neutral objects themselves (no bytes in between), served by the same session and
 * called through the same client as every connection. It behaves like one connection
 * (one session, its own subscriptions), so it serves tests and embedding.
 */

import type { Call, Reply } from '../rpc/message.js';
import { createRegistry, type Registry, type RegistryOptions } from '../rpc/registry.js';
import type { Service } from '../rpc/service.js';
import { resolveAuth } from '../transport/client-auth.js';
import type { ConnectionEvents, MessageConnection } from '../transport/connection.js';
import { createMessageClient } from '../transport/message-client.js';
import { Session } from '../transport/session.js';
import {
  type ClientAuth,
  type ClientCodec,
  type ClientIncoming,
  type ClientTransport,
  defaultLimits,
  type Limits,
  type ServerCodec,
} from '../transport/types.js';

const PROTOCOL = 'inprocess';

/** What the client sends: one call, or a batch of them. */
type ToServer = Call | readonly Call[];

/**
 * One end of an in-process pair. A message sent on one end is delivered to the other
 * on a later microtask, in order, as a socket would deliver it on a later turn.
 */
class End<In, Out> implements MessageConnection<In, Out> {
  readonly buffered = 0;
  other!: End<Out, In>;
  #events: ConnectionEvents<In, Out> | undefined;
  #held: In[] | undefined;
  #ended = false;
  #closed = false;

  open(events: ConnectionEvents<In, Out>): void {
    this.#events = events;
  }

  send(message: Out): void {
    if (this.#closed || this.#ended) return;
    const other = this.other;
    queueMicrotask(() => other.deliver(message));
  }

  deliver(message: In): void {
    if (this.#closed) return;
    if (this.#held !== undefined) this.#held.push(message);
    else this.#events?.message(message);
  }

  pause(): void {
    this.#held ??= [];
  }

  resume(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const m of held) this.deliver(m);
  }

  waitDrain(): void {
    queueMicrotask(() => this.#events?.drained());
  }

  setIdleTimeout(): void {}

  end(): void {
    if (this.#ended || this.#closed) return;
    this.#ended = true;
    const other = this.other;
    queueMicrotask(() => (other.#ended ? this.destroy() : other.#events?.ended()));
  }

  destroy(): void {
    for (const end of [this, this.other] as End<unknown, unknown>[]) {
      if (end.#closed) continue;
      end.#closed = true;
      queueMicrotask(() => end.#events?.closed());
    }
  }
}

function pair<A, B>(): [End<A, B>, End<B, A>] {
  const a = new End<A, B>();
  const b = new End<B, A>();
  a.other = b;
  b.other = a;
  return [a, b];
}

const serverCodec: ServerCodec<ToServer, ClientIncoming> = {
  decode: (message) =>
    Array.isArray(message)
      ? { kind: 'batch', entries: message as readonly Call[] }
      : { kind: 'call', call: message as Call },
  encodeReply: (reply) => ({ kind: 'reply', reply }),
  encodeBatch: (replies: readonly Reply[]) => ({ kind: 'batch', replies }),
  encodePush: (push) => ({ kind: 'push', push }),
};

const clientCodec: ClientCodec<ClientIncoming, ToServer> = {
  encodeCall: (id, call) => ({ id, method: call.method, params: call.params }),
  encodeNotify: (call) => ({ method: call.method, params: call.params }),
  encodeBatch: (ids, calls) => calls.map((c, i) => ({ id: ids[i], method: c.method, params: c.params })),
  decode: (message) => message,
};

/** InProcessOptions configure {@link createInProcessTransport}. */
export interface InProcessOptions extends RegistryOptions {
  /** Events a subscription holds for an application that does not read them (see `ClientOptions.subscriptionBuffer`). Defaults to 1024. */
  readonly subscriptionBuffer?: number;
  /** Default per-call timeout in ms; 0 means none. Defaults to 30000. */
  readonly timeout?: number;
  /** Limits of the session; whatever is left out comes from `defaultLimits`. */
  readonly limits?: Partial<Limits>;
  /** The client's credential, sent as `rpc.authenticate` when the registry authenticates. */
  readonly auth?: ClientAuth;
}

/**
 * createInProcessTransport serves `target` (a service, or a registry built from one)
 * to a client in the same process.
 */
export function createInProcessTransport(
  target: Service | Registry,
  options: InProcessOptions = {},
): ClientTransport {
  const registry = 'procedures' in target ? target : createRegistry(target, options);
  const limits: Limits = { ...defaultLimits, ...options.limits };
  return createMessageClient({
    protocol: PROTOCOL,
    where: 'the in-process server',
    codec: clientCodec,
    options: { timeout: options.timeout, subscriptionBuffer: options.subscriptionBuffer },
    auth: options.auth === undefined ? undefined : resolveAuth(new URL('inprocess://local'), options),
    dial: async () => {
      const [client, server] = pair<ClientIncoming, ToServer>();
      new Session(server, { registry, codec: serverCodec, limits, protocol: PROTOCOL });
      return client;
    },
  });
}
