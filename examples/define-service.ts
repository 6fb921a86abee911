/**
 * Defining your own service, serving it on every protocol, and calling it.
 * Run: node --import tsx examples/define-service.ts
 */
import { z } from 'zod';
import {
  createClient,
  defineService,
  param,
  procedure,
  RpcError,
  serve,
  subscription,
} from '../src/index.js';

const inventory = new Map<string, number>([['tea', 3]]);

const service = defineService(
  {
    stock: {
      get: procedure({
        doc: 'stock.get(item) returns how many of an item are in stock.',
        params: [param('item', z.string().min(1))],
        result: z.number().int(),
        handler: ({ item }) => inventory.get(item) ?? 0,
      }),
      take: procedure({
        doc: 'stock.take(item, count?) removes items; error 409 when there are not enough.',
        params: [param('item', z.string().min(1)), param('count', z.number().int().positive().optional())],
        result: z.number().int(),
        handler: ({ item, count = 1 }) => {
          const have = inventory.get(item) ?? 0;
          if (have < count) throw new RpcError(409, `only ${have} ${item} left`, { data: { have } });
          inventory.set(item, have - count);
          return have - count;
        },
      }),
    },
    ticks: subscription({
      doc: 'ticks(n) pushes 0..n-1, one every 10 ms.',
      params: [param('n', z.number().int().min(1).max(100))],
      event: z.number(),
      async *handler({ n }, ctx) {
        for (let i = 0; i < n && !ctx.signal.aborted; i++) {
          await new Promise((r) => setTimeout(r, 10));
          yield i;
        }
      },
    }),
  },
  { title: 'inventory', version: '1.0.0' },
);

export type InventoryService = typeof service;

const server = await serve(service, { httpPort: 0, ports: { jsonrpc: 0, msgpack: 0 } });
for (const l of server.listeners) console.log(`${l.protocol} ${l.url}`);

const msgpackUrl = server.listeners.find((l) => l.protocol === 'msgpack')?.clientUrl;
const rpc = createClient<InventoryService>(msgpackUrl ?? server.listeners[0]!.clientUrl);
console.log('tea in stock:', await rpc.stock.get('tea'));
console.log('after taking 2:', await rpc.stock.take('tea', 2));
try {
  await rpc.stock.take('tea', 5);
} catch (err) {
  if (err instanceof RpcError) console.log(`refused: ${err.code} ${err.message}`, err.data);
}
if (msgpackUrl !== undefined) {
  for await (const tick of rpc.ticks(3)) console.log('tick', tick);
}
await rpc.$close();
await server.close();
