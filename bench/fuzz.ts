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
import { parseArgs } from 'node:util';
import { PROTOCOLS } from './fuzz/protocols.js';
import { type FuzzStats, fuzzProtocol } from './fuzz/run.js';
import { startServer, stop } from './fuzz/server.js';

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
