/** The jayson client over TCP (one connection per request, as jayson does) or HTTP. */
import jayson from 'jayson';
import type { Driver } from '../lib/load.js';

/** jaysonDriver calls `tcp://host:port` or `http://host:port/path` with jayson's client. */
export function jaysonDriver(target: string, kind: 'tcp' | 'http'): Driver {
  const url = new URL(target);
  const options = { host: url.hostname, port: Number(url.port), path: url.pathname };
  return {
    payload: 'string',
    async open() {
      const client = kind === 'tcp' ? jayson.Client.tcp(options) : jayson.Client.http(options);
      const call = (method: string, params: unknown[]): Promise<unknown> =>
        new Promise((resolve, reject) => {
          client.request(method, params as jayson.RequestParamsLike, (err?: unknown, res?: unknown) => {
            const reply = res as { result?: unknown; error?: unknown } | undefined;
            if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
            else if (reply?.error !== undefined) reject(new Error(JSON.stringify(reply.error)));
            else resolve(reply?.result);
          });
        });
      return {
        add: () => call('add', [3, 5]),
        echo: (p) => call('echo', [p]),
        close: async () => {},
      };
    },
  };
}
