/** The bare node:http floor's client: POST over a keep-alive agent, no RPC codec. */
import { Agent, request } from 'node:http';
import type { Driver } from '../lib/load.js';
import { ADD_CALL_XML } from './xml-bodies.js';

/** httpDriver posts to `http://host:port`: the XML-RPC `add` body to `/`, payloads to `/echo`. */
export function httpDriver(target: string): Driver {
  const url = new URL(target);
  const addBody = Buffer.from(ADD_CALL_XML);
  return {
    payload: 'binary',
    async open() {
      const agent = new Agent({ keepAlive: true });
      const post = (path: string, body: Uint8Array): Promise<Buffer> =>
        new Promise((resolve, reject) => {
          const req = request(
            {
              agent,
              host: url.hostname,
              port: Number(url.port),
              path,
              method: 'POST',
              headers: { 'content-type': 'text/xml', 'content-length': body.byteLength },
            },
            (res) => {
              const parts: Buffer[] = [];
              res.on('data', (d: Buffer) => parts.push(d));
              res.on('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      return {
        add: () => post('/RPC2', addBody),
        echo: (p) => post('/echo', p as Uint8Array),
        close: async () => agent.destroy(),
      };
    },
  };
}
