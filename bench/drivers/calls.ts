/**
 * A plain call load for `serve --workers` (issue 16): `bench/drivers/calls.ts '<job>'`
 * opens `connections` clients and keeps `depth` `add` calls in flight on each for
 * `ms`. Prints `{"measuring":true}` as it starts, then `{calls, seconds}`.
 */
import type { DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/index.js';

const job = JSON.parse(process.argv[2]!) as { url: string; connections: number; depth: number; ms: number };
const clients = Array.from({ length: job.connections }, () =>
  createClient<DemoService>(job.url, { timeout: 30_000 }),
);
await Promise.all(clients.map((c) => c.add(1, 1))); // connected (and spread over the workers)
process.stdout.write(`${JSON.stringify({ measuring: true })}\n`);
const start = performance.now();
const end = start + job.ms;
let calls = 0;
await Promise.all(
  clients.flatMap((c) =>
    Array.from({ length: job.depth }, async () => {
      while (performance.now() < end) {
        await c.add(3, 5);
        calls++;
      }
    }),
  ),
);
const seconds = (performance.now() - start) / 1000;
process.stdout.write(`${JSON.stringify({ calls, seconds })}\n`);
await Promise.all(clients.map((c) => c.$close()));
process.exit(0);
