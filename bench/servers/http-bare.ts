/** The bare node:http floor: keep-alive, a fixed XML-RPC reply; `/echo` returns the body. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADD_REPLY_XML } from '../drivers/xml-bodies.js';
import { ready } from './ready.js';

const reply = Buffer.from(ADD_REPLY_XML);
const server = createServer({ keepAlive: true }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    const body = req.url === '/echo' ? Buffer.concat(parts) : reply;
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  ready(`http://127.0.0.1:${(server.address() as AddressInfo).port}/RPC2`);
});
