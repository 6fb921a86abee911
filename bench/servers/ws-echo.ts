/**
 * The WebSocket floor: a bare `ws` server that echoes every message as it came
 * (binary stays binary), no RPC at all. Permessage-deflate is off, as on polyrpc's.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ready } from './ready.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data: Buffer, binary: boolean) => ws.send(data, { binary }));
});
wss.on('listening', () => {
  ready(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
});
