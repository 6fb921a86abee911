/**
 * Issue 16: `polyrpc serve --workers 2 --redis …` as a real process tree. Calls from
 * many connections are served by both workers (the split is printed), a killed worker
 * is replaced, and SIGTERM drains everything and exits 0 within 10 s. Workers are found
 * by the pids the primary prints, and only those are killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoService } from '../../src/demo/index.js';
import { createClient } from '../../src/index.js';
import { freePort, type RunningRedis, redisMissing, startRedis } from '../support/redis.js';
import { killAll, runCli, spawnCli } from './process.js';

afterAll(killAll);

// Each spawns the CLI twice: on a loaded 2-core machine that takes more than the default 20 s.
it('refuses --workers 2 for the demo chat without --redis, saying why', { timeout: 60_000 }, async () => {
  const r = await runCli(['serve', '--workers', '2', '--http-port', '0'], { env: { POLYRPC_REDIS_URL: '' } });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--workers with the demo chat needs --redis URL/);
  expect(r.stdout).toBe('');
  const bad = await runCli(['serve', '--workers', 'lots']);
  expect(bad.stderr).toMatch(/--workers must be a number from 1 to 1024 or "auto"/);
});

it('an unreachable Redis stops serve at start with one line, the password redacted', {
  timeout: 60_000,
}, async () => {
  const port = await freePort();
  const r = await runCli(['serve', '--http-port', '0', '--jsonrpc-port', '0', '--msgpack-port', '0'], {
    env: { POLYRPC_REDIS_URL: `redis://me:hunter2@127.0.0.1:${port}` },
  });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')[0]).toBe(
    `polyrpc serve: chat: cannot reach Redis at redis://me:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  expect(r.stderr).not.toContain('hunter2');
  const scheme = await runCli(['serve', '--redis', 'http://127.0.0.1:6379']);
  expect(scheme.stderr).toMatch(/--redis must be a redis:\/\/ or rediss:\/\/ URL/);
});

describe.skipIf(redisMissing !== undefined)(
  `--workers 2${redisMissing ? ` (skipped: ${redisMissing})` : ''}`,
  () => {
    let redis: RunningRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('serves from both workers, replaces a killed one, and exits 0 on SIGTERM within 10 s', async () => {
      const p = spawnCli([
        'serve',
        '--workers',
        '2',
        '--redis',
        redis.url,
        '--log-level',
        'debug',
        '--http-port',
        '0',
        '--jsonrpc-port',
        '0',
        '--msgpack-port',
        '0',
      ]);
      const readyPids = (): number[] =>
        [...p.stderr().matchAll(/worker (\d+) ready/g)].map((m) => Number(m[1]));
      await p.waitFor(/worker \d+ ready[\s\S]*worker \d+ ready/, 'stderr', 30_000);
      await p.waitFor(/^msgpack \S+\n/m);
      expect(p.stderr()).toMatch(new RegExp(`chat: redis broker at redis://127\\.0\\.0\\.1:${redis.port}`));
      const tcp = p.stdout().match(/^jsonrpc (tcp:\S+)/m)![1]!;
      const msgpack = p.stdout().match(/^msgpack (msgpack:\S+)/m)![1]!;

      // 40 connections, one call each: the primary hands connections out round-robin.
      const connections = 40;
      await Promise.all(
        Array.from({ length: connections }, async (_, i) => {
          const rpc = createClient<DemoService>(i % 2 ? tcp : msgpack, { timeout: 10_000 });
          expect(await rpc.add(i, 1)).toBe(i + 1);
          await rpc.$close();
        }),
      );
      const [w1, w2] = readyPids();
      const served = (pid: number | undefined) =>
        [...p.stderr().matchAll(new RegExp(`\\[worker ${pid}\\] call add `, 'g'))].length;
      const split = { [String(w1)]: served(w1), [String(w2)]: served(w2) };
      console.log(`[i16] --workers 2: ${connections} connections split ${JSON.stringify(split)}`);
      expect(served(w1) + served(w2)).toBe(connections);
      expect(served(w1)).toBeGreaterThan(0);
      expect(served(w2)).toBeGreaterThan(0);

      // A chat message sent through one worker reaches a subscriber on the other (via Redis).
      const sub = createClient<DemoService>(tcp, { timeout: 10_000 });
      const s = sub.chat.subscribe('workers', 0);
      await s.ready;
      const sender = createClient<DemoService>(msgpack, { timeout: 10_000 });
      for (let i = 0; i < 4; i++) await sender.chat.send('workers', `m${i}`);
      const got: string[] = [];
      for (let i = 0; i < 4; i++) got.push((await s.next()).value!.text);
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3']);
      await Promise.all([sub.$close(), sender.$close()]);

      // kill -9 one worker: the primary starts another, and calls go on.
      process.kill(w1!, 'SIGKILL');
      await p.waitFor(new RegExp(`worker ${w1} died \\(SIGKILL\\); starting another`), 'stderr');
      await p.waitFor(/(worker \d+ ready[\s\S]*){3}/, 'stderr', 30_000);
      const replacement = readyPids()[2]!;
      expect([w1, w2]).not.toContain(replacement);
      const after = createClient<DemoService>(tcp, { timeout: 10_000 });
      expect(await after.add(20, 22)).toBe(42);
      await after.$close();

      const started = Date.now();
      p.child.kill('SIGTERM');
      const exit = await p.exited;
      const took = Date.now() - started;
      console.log(`[i16] --workers 2: SIGTERM to exit ${took} ms`);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(took).toBeLessThan(10_000);
      for (const pid of [w2!, replacement]) expect(() => process.kill(pid, 0)).toThrow();
    }, 90_000);
  },
);
