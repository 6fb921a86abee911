/**
 * The fan-out bench's anchor (issue 16): socket.io with its Redis Streams adapter
 * (`@socket.io/redis-streams-adapter`), so a broadcast reaches the clients of every
 * instance. `bench/servers/socketio.ts <redis url>`. Clients join one room; a `send`
 * event is broadcast to the room as `msg` and acknowledged.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { ready } from './ready.js';

const redis = createClient({ url: process.argv[2] ?? 'redis://127.0.0.1:6379' });
redis.on('error', () => {});
await redis.connect();
const http = createServer();
const io = new Server(http, { adapter: createAdapter(redis), transports: ['websocket'] });
io.on('connection', (socket) => {
  void socket.join('bench');
  socket.on('send', (msg: unknown, ack?: () => void) => {
    io.to('bench').emit('msg', msg);
    ack?.();
  });
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number };
  ready(`http://127.0.0.1:${port}`);
});
