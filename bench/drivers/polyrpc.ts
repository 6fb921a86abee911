/** The polyrpc client (createClient) against any polyrpc URL. */
import type { DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/index.js';
import type { Driver } from '../lib/load.js';

/** polyrpcDriver opens one typed client (one connection) per `open()`. */
export function polyrpcDriver(target: string): Driver {
  const url = new URL(target);
  // XML-RPC has base64 and msgpack has bin; JSON-RPC carries a string.
  const binary = ['msgpack:', 'msgpack+ws:', 'http:'].includes(url.protocol);
  return {
    payload: binary ? 'binary' : 'string',
    async open() {
      const rpc = createClient<DemoService>(url, { timeout: 60_000 });
      return {
        add: () => rpc.add(3, 5),
        echo: (p) => rpc.echo(p),
        close: () => rpc.$close(),
      };
    },
  };
}
