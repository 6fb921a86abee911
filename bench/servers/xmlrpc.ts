/** The npm `xmlrpc` server. */
import type { AddressInfo } from 'node:net';
import xmlrpc from 'xmlrpc';
import { ready } from './ready.js';

type Callback = (err: unknown, value: unknown) => void;

const server = xmlrpc.createServer({ host: '127.0.0.1', port: 0 }, () => {
  const { port } = server.httpServer.address() as AddressInfo;
  ready(`http://127.0.0.1:${port}/RPC2`);
});
server.on('add', (_err: unknown, params: number[], cb: Callback) => cb(null, params[0]! + params[1]!));
server.on('echo', (_err: unknown, params: unknown[], cb: Callback) => cb(null, params[0]));
