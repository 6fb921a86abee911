/** jayson's server over TCP or HTTP: `bench/servers/jayson.ts tcp|http`. */
import type { AddressInfo } from 'node:net';
import jayson from 'jayson';
import { ready } from './ready.js';

const kind = process.argv[2] === 'http' ? 'http' : 'tcp';
const server = new jayson.Server({
  add: (args: number[], cb: (err: null, v: number) => void) => cb(null, args[0]! + args[1]!),
  echo: (args: unknown[], cb: (err: null, v: unknown) => void) => cb(null, args[0]),
});
const listener = kind === 'tcp' ? server.tcp() : server.http();
listener.listen(0, '127.0.0.1', () => {
  const { port } = listener.address() as AddressInfo;
  ready(kind === 'tcp' ? `tcp://127.0.0.1:${port}` : `http://127.0.0.1:${port}/`);
});
