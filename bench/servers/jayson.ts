/** jayson's server over TCP, HTTP or WebSocket: `bench/servers/jayson.ts tcp|http|ws`. */
import type { AddressInfo } from 'node:net';
import jayson from 'jayson';
import { ready } from './ready.js';

const kind = process.argv[2] === 'http' || process.argv[2] === 'ws' ? process.argv[2] : 'tcp';
const server = new jayson.Server({
  add: (args: number[], cb: (err: null, v: number) => void) => cb(null, args[0]! + args[1]!),
  echo: (args: unknown[], cb: (err: null, v: unknown) => void) => cb(null, args[0]),
});
if (kind === 'ws') {
  // jayson's websocket() returns the `ws` server it made (typed as an opaque class).
  const wss = server.websocket({ host: '127.0.0.1', port: 0 }) as unknown as import('ws').WebSocketServer;
  wss.on('listening', () => ready(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`));
}
const listener = kind === 'ws' ? undefined : kind === 'tcp' ? server.tcp() : server.http();
listener?.listen(0, '127.0.0.1', () => {
  const { port } = listener.address() as AddressInfo;
  ready(kind === 'tcp' ? `tcp://127.0.0.1:${port}` : `http://127.0.0.1:${port}/`);
});
