/**
 * The WebSocket floor's client: binary messages on one `ws` socket, no RPC. The echo
 * server answers in order, so a FIFO of resolvers stands in for ids.
 */
import WebSocket from 'ws';
import type { Driver } from '../lib/load.js';

const ADD = Buffer.alloc(16, 1);

/** wsEchoDriver connects to `ws://host:port/`. */
export function wsEchoDriver(target: string): Driver {
  return {
    payload: 'binary',
    async open() {
      const ws = new WebSocket(target, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const waiting: ((b: Buffer) => void)[] = [];
      let head = 0;
      ws.on('message', (data: Buffer) => {
        const w = waiting[head];
        waiting[head++] = undefined as never;
        if (head > 1024 && head * 2 > waiting.length) {
          waiting.splice(0, head);
          head = 0;
        }
        w?.(data);
      });
      const send = (body: Uint8Array): Promise<Buffer> => {
        ws.send(body, { binary: true });
        return new Promise((resolve) => waiting.push(resolve));
      };
      return {
        add: () => send(ADD),
        echo: (p) => send(p as Uint8Array),
        close: async () => {
          ws.terminate();
        },
      };
    },
  };
}
