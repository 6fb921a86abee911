/**
 * Issue 16's figures, side by side in one run (`npm run bench` runs them after the
 * call stacks; alone: `node --import tsx bench/fanout.ts [--quick]`):
 *
 * - chat fan-out, one sender, 1,000 subscribers: the bare-socket floor, the memory
 *   broker on one instance, the Redis broker on one and on two instances (500 + 500),
 *   and socket.io with `@socket.io/redis-streams-adapter` on two instances. Deliveries
 *   per second, p50/p99 send-to-receive latency, server CPU per delivery (the
 *   instances; Redis's own CPU apart).
 * - `serve --workers 1` vs `--workers 2`: calls/s and CPU per call of the whole process
 *   tree (primary and workers).
 *
 * It starts and stops its own redis-server; every run is bounded in count and time.
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FanoutResult } from './drivers/fanout.js';
import { BUILD_DIR, build } from './lib/build.js';
import { type Child, cpuSeconds, killAll, start, stop } from './lib/proc.js';

const SERVER_CORE = 0;
const CLIENT_CORE = 1;
const REDIS_SERVER = '/usr/bin/redis-server';

/** FanoutRow is one fan-out stack's figures. */
export interface FanoutRow extends FanoutResult {
  readonly id: string;
  readonly label: string;
  readonly instances: number;
  /** Server CPU per delivery, µs: the polyrpc / socket.io / floor processes. */
  readonly serverUsPerDelivery: number;
  /** Redis CPU per delivery, µs (Redis stacks). */
  readonly redisUsPerDelivery?: number;
}

/** WorkersRow is one `serve --workers N` figure. */
export interface WorkersRow {
  readonly workers: number;
  /** Whether every server process was pinned to core 0 and the client to core 1. */
  readonly pinned: boolean;
  readonly callsPerSecond: number;
  /** CPU of the primary and every worker per call, µs. */
  readonly usPerCall: number;
}

/** FanoutReport is what {@link runFanout} returns (and run.ts stores under `fanout`). */
export interface FanoutReport {
  readonly subscribers: number;
  readonly messages: number;
  readonly textBytes: number;
  readonly rows: FanoutRow[];
  readonly workers: WorkersRow[];
  readonly errors: string[];
}

const js = (file: string): string => `${BUILD_DIR}/bench/${file.replace(/\.ts$/, '.js')}`;

async function redisUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
  });
}

async function startRedis(): Promise<{ child: Child; url: string }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = start(
    [
      REDIS_SERVER,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/tmp',
    ],
    SERVER_CORE,
  );
  for (let i = 0; i < 100 && !(await redisUp(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await redisUp(port)))
    throw new Error(`bench: redis-server did not start on ${port}: ${child.stderr()}`);
  return { child, url: `redis://127.0.0.1:${port}` };
}

async function startServer(argv: string[], core: number | undefined): Promise<{ child: Child; url: string }> {
  const child = start(argv, core);
  const line = await child.nextLine(30_000);
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

/** runFanout measures every fan-out stack and the workers figure. */
export async function runFanout(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<FanoutReport> {
  const { quick, log } = options;
  const subscribers = 1000;
  const messages = quick ? 30 : 150;
  const textBytes = 100;
  const rows: FanoutRow[] = [];
  const errors: string[] = [];
  const redis = await startRedis();
  try {
    const stacks = [
      {
        id: 'floor',
        label: 'floor: bare TCP, same frame to every socket',
        kind: 'floor',
        argv: ['node', js('servers/fanout-floor.ts')],
        n: 1,
      },
      {
        id: 'memory-1',
        label: 'polyrpc msgpack, memory broker, 1 instance',
        kind: 'polyrpc',
        argv: ['node', js('servers/chat.ts'), 'memory'],
        n: 1,
      },
      {
        id: 'redis-1',
        label: 'polyrpc msgpack, Redis broker, 1 instance',
        kind: 'polyrpc',
        argv: ['node', js('servers/chat.ts'), 'redis', redis.url],
        n: 1,
      },
      {
        id: 'redis-2',
        label: 'polyrpc msgpack, Redis broker, 2 instances',
        kind: 'polyrpc',
        argv: ['node', js('servers/chat.ts'), 'redis', redis.url],
        n: 2,
      },
      {
        id: 'socketio-2',
        label: 'socket.io + redis-streams-adapter, 2 instances',
        kind: 'socketio',
        argv: ['node', js('servers/socketio.ts'), redis.url],
        n: 2,
      },
    ] as const;
    for (const st of stacks) {
      const servers: { child: Child; url: string }[] = [];
      let driver: Child | undefined;
      try {
        for (let i = 0; i < st.n; i++) servers.push(await startServer([...st.argv], SERVER_CORE));
        const job = {
          kind: st.kind,
          urls: servers.map((s) => s.url),
          subscribers,
          messages,
          window: 8,
          textBytes,
          maxMs: 60_000,
        };
        driver = start(['node', js('drivers/fanout.ts'), JSON.stringify(job)], CLIENT_CORE);
        await driver.nextLine(120_000); // {"measuring":true}
        const cpu0 = servers.map((s) => cpuSeconds(s.child.pid));
        const redis0 = cpuSeconds(redis.child.pid);
        const r = JSON.parse(await driver.nextLine(90_000)) as FanoutResult;
        const cpu = servers.reduce((sum, s, i) => sum + cpuSeconds(s.child.pid) - cpu0[i]!, 0);
        const redisCpu = cpuSeconds(redis.child.pid) - redis0;
        const row: FanoutRow = {
          id: st.id,
          label: st.label,
          instances: st.n,
          ...r,
          serverUsPerDelivery: (cpu / r.deliveries) * 1e6,
          ...(st.kind === 'floor' || st.id === 'memory-1'
            ? {}
            : { redisUsPerDelivery: (redisCpu / r.deliveries) * 1e6 }),
        };
        rows.push(row);
        if (r.deliveries < r.expected)
          errors.push(`fanout ${st.id}: ${r.deliveries} of ${r.expected} delivered in time`);
        log(
          `  fanout ${st.label}: ${r.perSecond.toFixed(0)} deliveries/s, p50 ${fixed(r.p50Ms, 1)} ms, p99 ${fixed(r.p99Ms, 1)} ms, ${row.serverUsPerDelivery.toFixed(2)} µs server CPU/delivery`,
        );
      } catch (err) {
        errors.push(`fanout ${st.id}: ${err instanceof Error ? err.message.slice(0, 400) : String(err)}`);
        log(`  fanout ${st.label}: failed: ${String(err).slice(0, 300)}`);
      } finally {
        if (driver !== undefined) await stop(driver, 2000, true);
        for (const s of servers) await stop(s.child, 2000);
      }
    }
    const workers: WorkersRow[] = [];
    const runs = [
      [1, true],
      [2, true],
      [1, false],
      [2, false],
    ] as const;
    for (const [n, pinned] of runs) {
      try {
        workers.push(await measureWorkers(n, pinned, redis.url, quick));
        const w = workers.at(-1)!;
        log(
          `  serve --workers ${n}${pinned ? ' (pinned)' : ''}: ${w.callsPerSecond.toFixed(0)} calls/s, ${w.usPerCall.toFixed(1)} µs CPU/call`,
        );
      } catch (err) {
        errors.push(`workers ${n}: ${err instanceof Error ? err.message.slice(0, 400) : String(err)}`);
      }
    }
    return { subscribers, messages, textBytes, rows, workers, errors };
  } finally {
    await stop(redis.child, 2000);
  }
}

// The process and its descendants (the cluster's workers).
function tree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/))
      if (tid !== '') out.push(...tree(Number(tid)));
  } catch {}
  return out;
}
const treeCpu = (pid: number): number => tree(pid).reduce((s, p) => s + cpuSeconds(p), 0);

// Pinned: every server process on core 0, the client on core 1 (the cluster's cost at
// the same CPU budget). Unpinned: the workers may use both cores, which the client shares.
async function measureWorkers(
  n: number,
  pinned: boolean,
  redisUrl: string,
  quick: boolean,
): Promise<WorkersRow> {
  const argv = ['node', `${BUILD_DIR}/src/cli/main.js`, 'serve', '--workers', String(n), '--redis', redisUrl];
  const serve = start(
    [
      ...argv,
      '--protocols',
      'msgpack',
      '--msgpack-port',
      '0',
      '--http-port',
      '0',
      '--no-explorer',
      '--log-level',
      'error',
    ],
    pinned ? SERVER_CORE : undefined,
  );
  let driver: Child | undefined;
  try {
    const url = (await serve.nextLine(30_000)).split(' ')[1]!;
    driver = start(
      [
        'node',
        js('drivers/calls.ts'),
        JSON.stringify({ url, connections: 16, depth: 16, ms: quick ? 1500 : 5000 }),
      ],
      pinned ? CLIENT_CORE : undefined,
    );
    await driver.nextLine(30_000);
    const cpu0 = treeCpu(serve.pid);
    const r = JSON.parse(await driver.nextLine(60_000)) as { calls: number; seconds: number };
    const cpu = treeCpu(serve.pid) - cpu0;
    return { workers: n, pinned, callsPerSecond: r.calls / r.seconds, usPerCall: (cpu / r.calls) * 1e6 };
  } finally {
    if (driver !== undefined) await stop(driver, 2000, true);
    await stop(serve, 9000);
  }
}

/** renderFanout prints the figures as two small tables. */
export function renderFanout(r: FanoutReport): string {
  const floor = r.rows.find((x) => x.id === 'floor');
  const memory = r.rows.find((x) => x.id === 'memory-1');
  const lines = [
    `chat fan-out: one sender, ${r.subscribers} subscribers, ${r.messages} messages of ${r.textBytes} characters, 8 in flight`,
    'stack                                             deliveries/s  p50 ms  p99 ms  server µs/delivery  ×floor  Redis µs/delivery',
  ];
  for (const x of r.rows) {
    const ratio = floor === undefined ? '' : (x.serverUsPerDelivery / floor.serverUsPerDelivery).toFixed(1);
    lines.push(
      `${x.label.padEnd(50)}${x.perSecond.toFixed(0).padStart(12)}${fixed(x.p50Ms, 1).padStart(8)}${fixed(x.p99Ms, 1).padStart(8)}${x.serverUsPerDelivery.toFixed(2).padStart(20)}${ratio.padStart(8)}${(x.redisUsPerDelivery?.toFixed(2) ?? '').padStart(19)}`,
    );
  }
  const redis1 = r.rows.find((x) => x.id === 'redis-1');
  if (memory !== undefined && redis1 !== undefined)
    lines.push(
      `Redis broker / memory broker deliveries/s on one instance: ${(redis1.perSecond / memory.perSecond).toFixed(2)} (target ≥ 0.5)`,
    );
  if (r.workers.length > 0) {
    lines.push(
      '',
      'serve --workers (msgpack add(3, 5), 16 connections × 16 in flight; CPU of primary + workers)',
    );
    for (const w of r.workers)
      lines.push(
        `  --workers ${w.workers}, ${w.pinned ? 'server on core 0, client on core 1' : 'unpinned (the client shares both cores)'}: ${w.callsPerSecond.toFixed(0)} calls/s, ${w.usPerCall.toFixed(1)} µs CPU per call`,
      );
  }
  if (r.errors.length > 0) lines.push('', `errors: ${r.errors.join('; ')}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.chdir(root);
  build(root);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  try {
    const report = await runFanout({
      quick: process.argv.includes('--quick'),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    console.log(renderFanout(report));
  } finally {
    killAll();
  }
}

// A figure a failed run did not produce (null) prints as a dash, not a crash of the report.
function fixed(n: number | null | undefined, digits: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–';
}
