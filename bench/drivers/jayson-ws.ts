/** jayson's WebSocket client (`jayson.Client.websocket`, on `ws` through isomorphic-ws), one socket per `open()`. */

import WebSocket from 'isomorphic-ws';
import jayson from 'jayson';
import type { Driver } from '../lib/load.js';

/** jaysonWsDriver calls `ws://host:port/path` with jayson's WebSocket client. */
export function jaysonWsDriver(target: string): Driver {
  return {
    payload: 'string',
    async open() {
      // jayson's client sends at once: give it a socket that is already open.
      const ws = new WebSocket(target);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const client = jayson.Client.websocket({ ws: ws as never });
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
        close: async () => {
          ws.terminate();
        },
      };
    },
  };
}
