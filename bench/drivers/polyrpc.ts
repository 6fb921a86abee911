/** The polyrpc client (createClient) against any polyrpc URL. */
import type { DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/index.js';
import { benchCert } from '../lib/certs.js';
import type { Driver } from '../lib/load.js';

/**
 * polyrpcDriver opens one typed client (one connection) per `open()`. A secure URL
 * trusts the run's CA; a token in the URL's user info is sent as the credential.
 */
export function polyrpcDriver(target: string): Driver {
  const url = new URL(target);
  // XML-RPC has base64 and msgpack has bin; JSON-RPC carries a string.
  const binary = url.protocol.startsWith('msgpack') || url.protocol === 'http:' || url.protocol === 'https:';
  const secure = url.protocol === 'https:' || url.protocol === 'wss:' || url.protocol.endsWith('+tls:');
  const tls = secure ? { tls: { ca: benchCert('ca.crt') } } : {};
  return {
    payload: binary ? 'binary' : 'string',
    async open() {
      const rpc = createClient<DemoService>(url, { timeout: 60_000, ...tls });
      return {
        add: () => rpc.add(3, 5),
        echo: (p) => rpc.echo(p),
        close: () => rpc.$close(),
      };
    },
  };
}
