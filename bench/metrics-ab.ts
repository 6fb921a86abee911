/**
 * `node --import tsx bench/metrics-ab.ts [--rounds 12] [--phase-ms 400]`: what metrics
 * cost (issue 17), measured so that a shared machine's changing load falls on both
 * sides alike. Two msgpack servers run at once (the demo service, metrics on and off),
 * and one client alternates short phases of 64 calls in flight between them (ABBA
 * order each round). It prints the median calls/s and server CPU µs per call of each,
 * and their ratios.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { protocolFor } from '../src/transport/index.js';
import type { ClientTransport } from '../src/transport/types.js';
import { BUILD_DIR, build } from './lib/build.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const ROUNDS = arg('rounds', 12);
const PHASE_MS = arg('phase-ms', 400);
const IN_FLIGHT = 64;
const TICKS = 100; // clock ticks per second (/proc/<pid>/stat)

interface Server {
  readonly url: string;
  readonly pid: number;
  stop(): void;
}

function start(metricsOff: boolean): Promise<Server> {
  const args = [`${BUILD_DIR}/bench/servers/polyrpc.js`, 'msgpack', ...(metricsOff ? ['metrics-off'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const { url, pid } = JSON.parse(line) as { url: string; pid: number };
      resolve({ url, pid, stop: () => child.kill('SIGTERM') });
    });
  });
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime
}

async function phase(t: ClientTransport, pid: number): Promise<{ rate: number; cpuUs: number }> {
  let calls = 0;
  const until = performance.now() + PHASE_MS;
  const cpu0 = cpuSeconds(pid);
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() < until) {
      await t.call({ method: 'add', params: [calls, 1] });
      calls++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = (performance.now() - start) / 1000;
  return { rate: calls / seconds, cpuUs: ((cpuSeconds(pid) - cpu0) * 1e6) / calls };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

build(process.cwd());
const [on, off] = await Promise.all([start(false), start(true)]);
const client = (s: Server): ClientTransport => {
  const url = new URL(s.url);
  return protocolFor(url)!.createTransport(url, {});
};
const sides = { on: { server: on, t: client(on) }, off: { server: off, t: client(off) } };
const results = {
  on: { rate: [] as number[], cpu: [] as number[] },
  off: { rate: [] as number[], cpu: [] as number[] },
};
for (const side of ['on', 'off'] as const) await phase(sides[side].t, sides[side].server.pid); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 === 0
    ? (['on', 'off', 'off', 'on'] as const)
    : (['off', 'on', 'on', 'off'] as const)) {
    const { rate, cpuUs } = await phase(sides[side].t, sides[side].server.pid);
    results[side].rate.push(rate);
    results[side].cpu.push(cpuUs);
  }
}
await Promise.all([sides.on.t.close(), sides.off.t.close()]);
on.stop();
off.stop();
const m = {
  on: { rate: median(results.on.rate), cpu: median(results.on.cpu) },
  off: { rate: median(results.off.rate), cpu: median(results.off.cpu) },
};
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`;
process.stdout.write(
  [
    `msgpack, ${IN_FLIGHT} in flight, ${ROUNDS} rounds × 2 phases of ${PHASE_MS} ms per side (ABBA), medians:`,
    `  metrics on : ${k(m.on.rate)} calls/s, server CPU ${m.on.cpu.toFixed(2)} µs/call`,
    `  metrics off: ${k(m.off.rate)} calls/s, server CPU ${m.off.cpu.toFixed(2)} µs/call`,
    `  on ÷ off: calls/s ${(m.on.rate / m.off.rate).toFixed(3)}, server CPU/call ${(m.on.cpu / m.off.cpu).toFixed(3)}`,
    '',
  ].join('\n'),
);
