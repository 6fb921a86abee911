/**
 * The raw TCP floor: echo length-prefixed frames, no RPC at all.
 * `plain` writes each frame as it is parsed (one write per frame); `batched` writes
 * every complete frame of a read in one write, the best a server can do.
 */

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { createFrameReader, header } from '../lib/frames.js';
import { ready } from './ready.js';

const batched = process.argv[2] === 'batched';

const server = createServer({ noDelay: true }, (socket) => {
  const reader = createFrameReader();
  socket.on('error', () => {});
  if (!batched) {
    socket.on('data', (chunk: Buffer) =>
      reader.push(chunk, (body) => {
        socket.write(Buffer.concat([header(body.length), body]));
      }),
    );
    return;
  }
  let out: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk, (body) => {
      out.push(header(body.length), body);
    });
    if (out.length === 0) return;
    const parts = out;
    out = [];
    socket.cork();
    for (const p of parts) socket.write(p);
    socket.uncork();
  });
});
server.listen(0, '127.0.0.1', () => {
  ready(`raw://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
