/**
 * The same typed calls over each protocol, against a running `npm start`.
 * Run: node --import tsx examples/node-clients.ts
 */
import type { DemoService } from '../src/demo/index.js';
import { createClient } from '../src/index.js';

const urls = [
  'http://127.0.0.1:8000/RPC2', // XML-RPC
  'jsonrpc+http://127.0.0.1:8000/jsonrpc', // JSON-RPC over HTTP
  'tcp://127.0.0.1:8001', // JSON-RPC over TCP, one message per line
  'msgpack://127.0.0.1:8002', // MessagePack, length-prefixed frames
];

for (const url of urls) {
  const rpc = createClient<DemoService>(url, { timeout: 2000 });
  try {
    const [sum, hyp, who] = await Promise.all([
      rpc.add(3, 5),
      rpc.hypotenuse(3, 4),
      rpc.credentials.lookup('Time Lord'),
    ]);
    console.log(`${url}: add=${sum} hypotenuse=${hyp} credentials=${who}`);
  } catch (err) {
    console.log(`${url}: ${(err as Error).message}`);
  } finally {
    await rpc.$close();
  }
}
