/**
 * The floor of chat fan-out (issue 16): a bare TCP server that writes each frame a
 * sender gives it, unchanged, to every other connection — what delivering a push
 * costs with no RPC, no broker and no encoding. A connection's first byte says what it
 * is: `S` sender (then fixed-size frames, size in the first 4 bytes of each), `R` receiver.
 */
import { createServer, type Socket } from 'node:net';
import { ready } from './ready.js';

const receivers = new Set<Socket>();
const server = createServer((socket) => {
  socket.setNoDelay(true);
  let role: 'S' | 'R' | undefined;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    let data = chunk;
    if (role === undefined) {
      role = data[0] === 0x53 ? 'S' : 'R';
      data = data.subarray(1);
      if (role === 'R') {
        receivers.add(socket);
        socket.write('k');
      }
    }
    if (role !== 'S') return;
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    while (pending.length >= 4) {
      const size = pending.readUInt32BE(0) + 4;
      if (pending.length < size) break;
      const frame = pending.subarray(0, size);
      pending = pending.subarray(size);
      for (const r of receivers) r.write(frame);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => receivers.delete(socket));
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  ready(`tcp://127.0.0.1:${port}`);
});
