/**
 * Issue 16: kill -9 of a `polyrpc serve --redis` process while messages flow through
 * another instance, then a restart on the same ports. Its subscribers (the SDK client
 * reconnects and resubscribes after its last id by itself) miss nothing and see
 * nothing twice: the rooms live in Redis, not in the killed process.
 */
import { afterAll, expect, it } from 'vitest';
import type { DemoService } from '../../src/demo/index.js';
import { createRedisBroker } from '../../src/demo/redis-broker.js';
import { createDemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/index.js';
import { serve } from '../../src/transport/serve.js';
import { killAll, type Spawned, spawnCli } from '../cli/process.js';
import { redisMissing, startRedis } from '../support/redis.js';

afterAll(() => killAll());

async function startServe(args: readonly string[]): Promise<{ proc: Spawned; lines: string[] }> {
  const proc = spawnCli(['serve', ...args]);
  await proc.waitFor(/^msgpack \S+\n/m, 'stdout', 20_000);
  await proc.waitFor(/chat: redis broker at redis:\/\/127\.0\.0\.1:\d+/, 'stderr');
  return { proc, lines: proc.stdout().trim().split('\n') };
}

const urlOf = (lines: readonly string[], re: RegExp): string =>
  lines.find((l) => re.test(l))?.split(' ')[1] ?? '';

it.skipIf(redisMissing !== undefined)(
  `kill -9 of an instance: its subscribers resume on the restarted one and miss nothing${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  async () => {
    const redis = await startRedis();
    const broker = await createRedisBroker({ url: redis.url });
    const other = await serve(createDemoService({ broker }), {
      httpPort: 0,
      ports: { jsonrpc: 0, msgpack: 0 },
    });
    const first = await startServe([
      '--redis',
      redis.url,
      '--http-port',
      '0',
      '--jsonrpc-port',
      '0',
      '--msgpack-port',
      '0',
    ]);
    const urls = {
      tcp: urlOf(first.lines, /^jsonrpc tcp:/),
      msgpack: urlOf(first.lines, /^msgpack msgpack:/),
    };
    const subscribers = Object.values(urls).map((url) =>
      createClient<DemoService>(url, { timeout: 10_000, reconnect: { maxDelayMs: 500 } }),
    );
    const sender = createClient<DemoService>(other.listeners.find((l) => l.url.startsWith('tcp:'))!.url);
    try {
      const subs = subscribers.map((c) => c.chat.subscribe('crash', 0));
      await Promise.all(subs.map((s) => s.ready));
      const total = 60;
      let killed: Promise<unknown> | undefined;
      for (let i = 1; i <= total; i++) {
        await sender.chat.send('crash', `m${i}`);
        if (i === 20) {
          first.proc.child.kill('SIGKILL');
          killed = first.proc.exited;
        }
        if (i === 40) {
          await killed;
          const port = (u: string) => new URL(u).port;
          const ports = ['--jsonrpc-port', port(urls.tcp), '--msgpack-port', port(urls.msgpack)];
          await startServe(['--redis', redis.url, '--http-port', '0', ...ports]);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      for (const s of subs) {
        const got: number[] = [];
        for (let i = 0; i < total; i++) {
          const r = await s.next();
          if (r.done) break;
          got.push(r.value.id);
        }
        expect(got).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      }
    } finally {
      await Promise.all([...subscribers, sender].map((c) => c.$close()));
      await other.close(0);
      await broker.close();
      killAll();
      await redis.stop();
    }
  },
  90_000,
);
