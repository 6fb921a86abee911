/**
 * The raw TCP floor's client: length-prefixed frames, no RPC. Replies come back in
 * order, so a FIFO of resolvers stands in for ids. Writes are batched per tick, as
 * polyrpc's own client does.
 */
import { connect } from 'node:net';
import { createFrameReader, header } from '../lib/frames.js';
import type { Driver } from '../lib/load.js';

const ADD = Buffer.alloc(16, 1);

/** rawDriver connects to `raw://host:port`. */
export function rawDriver(target: string): Driver {
  const url = new URL(target);
  return {
    payload: 'binary',
    async open() {
      const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const waiting: ((b: Buffer) => void)[] = [];
      let head = 0;
      const reader = createFrameReader();
      socket.on('data', (chunk: Buffer) =>
        reader.push(chunk, (body) => {
          const w = waiting[head];
          waiting[head++] = undefined as never;
          if (head > 1024 && head * 2 > waiting.length) {
            waiting.splice(0, head);
            head = 0;
          }
          w?.(body);
        }),
      );
      let corked = false;
      const uncork = (): void => {
        corked = false;
        socket.uncork();
      };
      const send = (body: Uint8Array): Promise<Buffer> => {
        if (!corked) {
          corked = true;
          socket.cork();
          process.nextTick(uncork);
        }
        socket.write(header(body.byteLength));
        socket.write(body);
        return new Promise((resolve) => waiting.push(resolve));
      };
      return {
        add: () => send(ADD),
        echo: (p) => send(p as Uint8Array),
        close: async () => {
          socket.destroy();
        },
      };
    },
  };
}
