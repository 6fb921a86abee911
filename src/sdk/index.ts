/**
 * The typed client.
 *
 * Exports: createClient, Client, Contract, BatchItem, BatchResults, and
 * createInProcessTransport.
 */
import { protocolFor } from '../transport/index.js';
import type { ClientOptions, ClientTransport } from '../transport/types.js';
import { createProxy } from './proxy.js';
import type { Client } from './types.js';

export { createInProcessTransport } from './inprocess.js';
export type { BatchBuilder, BatchItem, BatchResults, Client, ClientControls, Contract } from './types.js';

/**
 * createClient returns a typed proxy for service `S` (pass `typeof service`, imported
 * with `import type`, or a hand-written {@link Contract} for a foreign server).
 *
 * `target` is a URL, which picks the protocol (`http://…/RPC2` XML-RPC, `tcp://` or
 * `http://…/jsonrpc` JSON-RPC, `msgpack://` MessagePack; see `protocolFor`), or a
 * ready transport. Every URL in `serve()`'s `listeners` works as it is.
 *
 * ```ts
 * const rpc = createClient<typeof demo>('msgpack://127.0.0.1:8002');
 * await rpc.hypotenuse(3, 4); // 5
 * ```
 */
export function createClient<S>(
  target: string | URL | ClientTransport,
  options: ClientOptions = {},
): Client<S> {
  if (typeof target === 'string' || target instanceof URL) {
    const url = typeof target === 'string' ? new URL(target) : target;
    return createProxy<S>(protocolFor(url).createTransport(url, options), callDefaults(options));
  }
  return createProxy<S>(target, callDefaults(options));
}

function callDefaults(options: ClientOptions): { timeout?: number } | undefined {
  return options.timeout === undefined ? undefined : { timeout: options.timeout };
}
