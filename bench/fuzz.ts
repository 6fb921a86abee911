/**
 * `npm run fuzz`: a mutation fuzzer for every protocol's server. It starts the demo
 * server (`polyrpc serve`, every port 0) in a child process, so a crash is the child
 * exiting, and for each protocol sends mutated seed messages (bit flips, byte inserts
 * and deletes, truncation, splicing, length fields, deep nesting, huge lengths) over
 * reused and fresh connections; it probes with a valid call every second (a hang is a
 * probe not answered in 5 s), checks every reply is well formed, and samples the
 * server's RSS. A crashed server is restarted for the next protocol.
 *
 *   node --import tsx bench/fuzz.ts [--seconds 60] [--inputs N] [--protocol msgpack,jsonrpc,jsonrpc-http,xmlrpc]
 *                                   [--seed 1] [--lanes 4] [--json]
 *
 * Exits 1 when any protocol saw a crash, a hang, a stalled connection or a malformed reply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROTOCOLS } from './fuzz/protocols.js';
import { type FuzzStats, fuzzProtocol, type ServerHandle } from './fuzz/run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    inputs: { type: 'string' },
    protocol: { type: 'string', default: PROTOCOLS.map((p) => p.name).join(',') },
    seed: { type: 'string', default: '1' },
    lanes: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});

interface Server extends ServerHandle {
  readonly child: ChildProcess;
}

/** startServer runs `polyrpc serve` on free ports and reads its listener lines. */
function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--http-port',
      '0',
      '--jsonrpc-port',
      '0',
      '--msgpack-port',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.stderr!.on('data', () => {}); // the server logs refused input; keep the pipe drained
  return new Promise((resolve, reject) => {
    const ports = { http: 0, jsonrpc: 0, msgpack: 0 };
    let out = '';
    const timer = setTimeout(() => reject(new Error('fuzz: the server did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`fuzz: the server exited (${code}) before listening`)));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        const m = /^(\S+) (\S+:\/\/\S+)$/.exec(line.trim());
        if (m === null) continue;
        const url = new URL(m[2]!);
        if (url.protocol === 'http:') ports.http = Number(url.port);
        else if (m[1] === 'jsonrpc') ports.jsonrpc = Number(url.port);
        else if (m[1] === 'msgpack') ports.msgpack = Number(url.port);
      }
      if (ports.http && ports.jsonrpc && ports.msgpack) {
        clearTimeout(timer);
        resolve({ pid: child.pid!, ports, exited: () => exited, child });
      }
    });
  });
}

function stop(server: Server): Promise<void> {
  if (server.exited()) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
    setTimeout(() => server.child.kill('SIGKILL'), 5000).unref();
  });
}

const names = values.protocol.split(',');
const chosen = PROTOCOLS.filter((p) => names.includes(p.name));
if (chosen.length !== names.length) {
  process.stderr.write(
    `fuzz: unknown protocol in ${values.protocol}; known: ${PROTOCOLS.map((p) => p.name).join(', ')}\n`,
  );
  process.exit(2);
}
const options = {
  seconds: Number(values.seconds),
  inputs: values.inputs === undefined ? Number.POSITIVE_INFINITY : Number(values.inputs),
  seed: Number(values.seed),
  lanes: Number(values.lanes),
};

const results: FuzzStats[] = [];
let server = await startServer();
for (const p of chosen) {
  const stats = await fuzzProtocol(p, server, options);
  results.push(stats);
  if (values.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
  else
    process.stdout.write(
      `${p.name.padEnd(13)} ${String(stats.inputs).padStart(9)} inputs in ${stats.seconds.toFixed(1)} s ` +
        `(${stats.inputsPerSecond}/s)  replies ${stats.replies}  malformed ${stats.malformed}  ` +
        `hangs ${stats.hangs}/${stats.probes + stats.hangs} probes  stalls ${stats.stalls}  ` +
        `crash ${stats.crashed ? 'YES' : 'no'}  conns ${stats.connections} (closed by server ${stats.serverClosed})  ` +
        `RSS ${(stats.rssStartKiB / 1024).toFixed(0)} → peak ${(stats.rssPeakKiB / 1024).toFixed(0)} → ${(stats.rssEndKiB / 1024).toFixed(0)} MiB\n` +
        stats.malformedSamples.map((s) => `  malformed: ${s}\n`).join(''),
    );
  if (stats.crashed) server = await startServer();
}
await stop(server);
const bad = results.some((r) => r.crashed || r.hangs > 0 || r.stalls > 0 || r.malformed > 0);
process.exit(bad ? 1 : 0);
