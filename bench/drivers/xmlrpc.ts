/** The npm `xmlrpc` client (node:http with the global keep-alive agent). */
import xmlrpc from 'xmlrpc';
import type { Driver } from '../lib/load.js';

/** xmlrpcDriver calls `http://host:port/path`; payloads travel as base64 (Buffer). */
export function xmlrpcDriver(target: string): Driver {
  const url = new URL(target);
  return {
    payload: 'binary',
    async open() {
      const client = xmlrpc.createClient({ host: url.hostname, port: Number(url.port), path: url.pathname });
      const call = (method: string, params: unknown[]): Promise<unknown> =>
        new Promise((resolve, reject) => {
          client.methodCall(method, params, (err: unknown, value: unknown) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
            else resolve(value);
          });
        });
      return {
        add: () => call('add', [3, 5]),
        echo: (p) =>
          call('echo', [typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength)]),
        close: async () => {},
      };
    },
  };
}
