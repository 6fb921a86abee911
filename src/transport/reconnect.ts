/**
 * The policies of the message client's connection life: reconnect backoff with
 * jitter, the bound on calls waiting for a connection, heartbeat timing, and the
 * state listeners. Pure bookkeeping: no sockets here.
 *
 * Exports: Backoff, StateListeners, resolveReconnect, resolveHeartbeat.
 * @internal
 */
import type { ClientOptions, ConnectionState, StateChange } from './types.js';

/** The reconnect policy with every default filled in. */
export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxQueued: number;
}

/** The heartbeat policy with every default filled in. */
export interface HeartbeatPolicy {
  readonly intervalMs: number;
  readonly misses: number;
}

/** resolveReconnect fills in the defaults (100 ms doubling to 10 s, 1000 waiting); undefined when off. */
export function resolveReconnect(options: ClientOptions | undefined): ReconnectPolicy | undefined {
  const r = options?.reconnect;
  if (r === false) return undefined;
  const initialDelayMs = Math.max(1, r?.initialDelayMs ?? 100);
  return {
    initialDelayMs,
    maxDelayMs: Math.max(initialDelayMs, r?.maxDelayMs ?? 10_000),
    maxQueued: Math.max(0, r?.maxQueued ?? 1000),
  };
}

/** resolveHeartbeat fills in the defaults (a ping after 15 s quiet, failure after 2 missed); undefined when off. */
export function resolveHeartbeat(options: ClientOptions | undefined): HeartbeatPolicy | undefined {
  const h = options?.heartbeat;
  if (h === false) return undefined;
  return { intervalMs: Math.max(10, h?.intervalMs ?? 15_000), misses: Math.max(1, h?.misses ?? 2) };
}

/** Backoff counts failed attempts and says how long to wait before the next one. */
export class Backoff {
  #attempt = 0;

  constructor(readonly policy: ReconnectPolicy) {}

  /** next returns the delay before the next attempt, in ms: half to all of the capped doubling. */
  next(): number {
    const { initialDelayMs, maxDelayMs } = this.policy;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return base / 2 + Math.random() * (base / 2);
  }

  /** reset starts over after a connection opened. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** StateListeners holds a client's state and tells its listeners when it changes. */
export class StateListeners {
  #state: ConnectionState = 'connecting';
  #listeners: Set<(state: ConnectionState, why?: StateChange) => void> | undefined;

  get state(): ConnectionState {
    return this.#state;
  }

  set(state: ConnectionState, why?: StateChange): void {
    if (state === this.#state || this.#state === 'closed') return;
    this.#state = state;
    if (this.#listeners === undefined) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(state, why);
      } catch {
        // A listener's failure is its own; the connection goes on.
      }
    }
  }

  add(listener: (state: ConnectionState, why?: StateChange) => void): () => void {
    this.#listeners ??= new Set();
    this.#listeners.add(listener);
    return () => {
      this.#listeners?.delete(listener);
    };
  }
}
