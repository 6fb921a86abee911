/**
 * Fault figures for docs/reliability.md, against `polyrpc serve` in a child process:
 * server RSS per held idle connection on each listener (and whether a probe call is
 * still answered while they are held), and slow HTTP clients (slowloris) that trickle
 * their headers one byte a second: how many the server holds, and the probe latency
 * meanwhile.
 *
 *   node --import tsx bench/fault-figures.ts [--connections 2000] [--slow 200] [--slow-seconds 10]
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { encodeFrame } from '../src/transport/msgpack/values.js';
import { rssKiB } from './fuzz/run.js';
import { type Server, startServer, stop } from './fuzz/server.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    slow: { type: 'string', default: '200' },
    'slow-seconds': { type: 'string', default: '10' },
  },
});
const N = Number(values.connections);
const SLOW = Number(values.slow);
const SLOW_SECONDS = Number(values['slow-seconds']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s)).once('error', reject);
    s.on('error', () => {});
  });
}

// A valid call on a fresh connection; resolves its latency in ms (Infinity after 5 s).
async function probe(server: Server, kind: 'http' | 'jsonrpc' | 'msgpack'): Promise<number> {
  const s = await open(server.ports[kind]);
  const t = performance.now();
  const body = '{"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]}';
  const bytes =
    kind === 'msgpack'
      ? encodeFrame([0, 1, 'add', [2, 3]])
      : kind === 'jsonrpc'
        ? `${body}\n`
        : `POST /jsonrpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Number.POSITIVE_INFINITY);
    }, 5000);
    s.once('data', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(performance.now() - t);
    });
    s.write(bytes);
  });
}

const server = await startServer();
// Warm up: the first connections of a fresh process grow its heap once, whatever the port.
for (const kind of ['jsonrpc', 'msgpack', 'http'] as const) {
  const warm = await Promise.all(Array.from({ length: 200 }, () => open(server.ports[kind])));
  await probe(server, kind);
  for (const s of warm) s.destroy();
}
await sleep(1000);
for (const kind of ['jsonrpc', 'msgpack', 'http'] as const) {
  const before = rssKiB(server.pid);
  const held: Socket[] = [];
  for (let i = 0; i < N; i += 100)
    held.push(...(await Promise.all(Array.from({ length: 100 }, () => open(server.ports[kind])))));
  await sleep(1000);
  const after = rssKiB(server.pid);
  const latency = await probe(server, kind);
  const alive = held.filter((s) => !s.destroyed).length;
  console.log(
    `held ${kind.padEnd(8)} ${alive}/${N} idle connections: RSS +${((after - before) / 1024).toFixed(1)} MiB = ${((after - before) / N).toFixed(1)} KiB/connection; probe ${latency.toFixed(1)} ms`,
  );
  for (const s of held) s.destroy();
  await sleep(500);
}

// Slowloris: headers trickled one byte a second.
const slow: Socket[] = await Promise.all(Array.from({ length: SLOW }, () => open(server.ports.http)));
const head = 'POST /RPC2 HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
const before = rssKiB(server.pid);
let worst = 0;
for (let t = 0; t < SLOW_SECONDS; t++) {
  for (const s of slow) if (!s.destroyed) s.write(head[t % head.length]!);
  worst = Math.max(worst, await probe(server, 'http'));
  await sleep(1000);
}
console.log(
  `slowloris ${SLOW} connections, one header byte a second for ${SLOW_SECONDS} s: ${slow.filter((s) => !s.destroyed).length} still open (cut at requestTimeoutMs, 30 s by default); RSS +${((rssKiB(server.pid) - before) / 1024).toFixed(1)} MiB; worst probe ${worst.toFixed(1)} ms`,
);
for (const s of slow) s.destroy();
await stop(server);
