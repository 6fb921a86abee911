/**
 * `npm run bench [-- --quick] [-- --only <stack regex>] [-- --figures sequential,inflight64,c16x16,echo]
 *  [-- --profile] [-- --no-idle] [-- --no-fanout]`
 *
 * Runs every stack side by side: each server in its own process pinned to core 0,
 * each client in its own process pinned to core 1, one stack at a time. Prints the
 * table, writes bench/results/<date>.json (+ latest.json) and docs/bench.svg.
 * Quick and `--only` (partial) runs write to bench/results/scratch/ instead.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protocols } from '../src/transport/index.js';
import { chart } from './chart.js';
import type { ClientJob, ClientResult } from './client.js';
import { type FanoutReport, renderFanout, runFanout } from './fanout.js';
import { BUILD_DIR, build } from './lib/build.js';
import { makeBenchCerts } from './lib/certs.js';
import type { Budget } from './lib/load.js';
import { type Child, killAll, pinning, rssBytes, start, stop } from './lib/proc.js';
import { render, type Summary, serverCpu, summarise, type Target, targets } from './report.js';
import { idleServers, type Stack, servers, stacks } from './stacks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
};
const quick = flag('quick');
const only = option('only');
const profile = flag('profile');
const PROFILE_FLAGS = ['--cpu-prof', '--cpu-prof-dir=bench/results/prof'];
const onlyFigures = option('figures')?.split(',');
const budget: Budget = quick
  ? { reps: 2, warmupMs: 150, phaseMs: 120, maxCalls: 100_000, echoMs: 40, echoReps: 1 }
  : { reps: 5, warmupMs: 1500, phaseMs: 1000, maxCalls: 500_000, echoMs: 400 };
const idleCount = quick ? 1000 : 10_000;
const echoSizes = [100, 10 * 1024, 1024 * 1024];
const SERVER_CORE = 0;
const CLIENT_CORE = 1;

const registered = new Set(protocols.map((p) => p.name));
const skipped: string[] = [];
const wanted = stacks.filter((st) => {
  if (only !== undefined && !new RegExp(only).test(st.id)) return false;
  const needs = servers[st.server]!.requires;
  if (needs !== undefined && !registered.has(needs)) {
    skipped.push(`${st.label} (protocol ${needs} not registered yet)`);
    return false;
  }
  return true;
});

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function serverArgv(key: string): string[] {
  const spec = servers[key]!;
  const argv = [...spec.argv];
  if (profile && spec.node === true) argv.splice(1, 0, ...PROFILE_FLAGS);
  return argv;
}

async function startServer(key: string): Promise<{ child: Child; url: string }> {
  const child = start(serverArgv(key), SERVER_CORE);
  try {
    const line = await child.nextLine(30_000);
    return { child, url: (JSON.parse(line) as { url: string }).url };
  } catch (err) {
    child.kill();
    throw err;
  }
}

// Quick mode keeps 16×16 for polyrpc and the floors only, and spares Python's
// single-threaded server (listen backlog 5) the 64-thread phase.
function quickFigures(st: Stack): Stack['figures'] {
  if (st.driver === 'python') return st.figures.filter((f) => f === 'sequential' || f === 'echo');
  if (st.group === 'peer' || st.group === 'cross') return st.figures.filter((f) => f !== 'c16x16');
  return st.figures;
}

async function runClient(st: Stack, url: string, pid: number): Promise<ClientResult> {
  const job: ClientJob = {
    driver: st.driver,
    target: st.target?.(url) ?? url,
    serverPid: pid,
    budget,
    figures: (quick ? quickFigures(st) : st.figures).filter((f) => onlyFigures?.includes(f) ?? true),
    echoSizes,
  };
  const argv =
    st.driver === 'python'
      ? ['/usr/bin/python3', 'bench/drivers/python_client.py', JSON.stringify(job)]
      : ['node', ...(profile ? PROFILE_FLAGS : []), `${BUILD_DIR}/bench/client.js`, JSON.stringify(job)];
  const child = start(argv, CLIENT_CORE);
  const phases = budget.reps * 4 + 2;
  const limit = 60_000 + phases * (budget.phaseMs + budget.echoMs) * 3;
  try {
    return JSON.parse(await child.nextLine(limit)) as ClientResult;
  } finally {
    // A profiled client writes its profile on exit: give it the time.
    await stop(child, profile ? 10_000 : 0, profile);
  }
}

async function idleRss(key: string): Promise<number> {
  const { child, url } = await startServer(key);
  let idle: Child | undefined;
  try {
    const u = new URL(url);
    await new Promise((r) => setTimeout(r, quick ? 200 : 1000));
    const before = rssBytes(child.pid);
    idle = start(
      [
        'node',
        `${BUILD_DIR}/bench/idle.js`,
        JSON.stringify({ host: u.hostname, port: Number(u.port), count: idleCount }),
      ],
      CLIENT_CORE,
    );
    const { open, failed } = JSON.parse(await idle.nextLine(90_000)) as { open: number; failed: number };
    await new Promise((r) => setTimeout(r, quick ? 500 : 2000));
    const after = rssBytes(child.pid);
    if (failed > 0) log(`  ${key}: ${failed} of ${idleCount} connections failed; scaled over ${open}`);
    return (after - before) / open / 1024;
  } finally {
    idle?.kill();
    child.kill();
  }
}

function machine(): Record<string, unknown> {
  let python = '';
  try {
    python = execFileSync('/usr/bin/python3', ['--version']).toString().trim();
  } catch {}
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    python,
    pinned: pinning
      ? `servers on core ${SERVER_CORE}, clients on core ${CLIENT_CORE} (taskset)`
      : 'not pinned (no taskset)',
    loadavgBefore: loadavg(),
  };
}

// `--chart-only` redraws docs/bench.svg from bench/results/latest.json.
function redraw(): void {
  const doc = JSON.parse(readFileSync('bench/results/latest.json', 'utf8')) as {
    date: string;
    machine: { cores: number; cpu: string; node: string };
    stacks: { id: string }[];
    summaries: Record<string, Summary>;
    targets: Target[];
  };
  const ids = new Set(doc.stacks.map((s) => s.id));
  const m = doc.machine;
  const caption = `${doc.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cores}× ${m.cpu}, Node ${m.node}`;
  writeFileSync(
    'docs/bench.svg',
    chart(
      stacks.filter((s) => ids.has(s.id)),
      doc.summaries,
      targets(doc.summaries),
      caption,
    ),
  );
  log('wrote docs/bench.svg');
}

async function main(): Promise<void> {
  if (flag('chart-only')) return redraw();
  const built = build(root);
  makeBenchCerts(); // for the TLS stacks; servers and clients inherit its folder
  log(`bench: transpiled ${built} files to ${BUILD_DIR}`);
  const env = machine();
  log(
    `bench: ${quick ? 'quick' : 'full'} run of ${wanted.length} stacks; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const s of skipped) log(`  skipped: ${s}`);
  const summaries: Record<string, Summary> = {};
  const raw: Record<string, ClientResult> = {};
  const errors: string[] = [];

  // Servers start together (idle ones cost nothing) and stop after their last stack.
  const keys = [...new Set(wanted.map((st) => st.server))];
  const started = new Map<string, { child: Child; url: string } | Error>();
  await Promise.all(
    keys.map(async (k) => {
      try {
        started.set(k, await startServer(k));
      } catch (err) {
        started.set(k, err instanceof Error ? err : new Error(String(err)));
      }
    }),
  );
  for (const [i, st] of wanted.entries()) {
    const server = started.get(st.server)!;
    if (server instanceof Error) {
      errors.push(`${st.id}: server ${st.server} failed: ${server.message}`);
      log(`  ${st.label}: server failed: ${server.message.slice(0, 300)}`);
      continue;
    }
    const t0 = performance.now();
    try {
      const r = await runClient(st, server.url, server.child.pid);
      raw[st.id] = r;
      summaries[st.id] = summarise(r);
      for (const e of r.errors) errors.push(`${st.id}: ${e}`);
      const f = summaries[st.id]!;
      log(
        `  ${st.label}: seq ${f.seq?.median.toFixed(0) ?? '–'}/s, 64 in flight ${f.in64?.median.toFixed(0) ?? '–'}/s (${((performance.now() - t0) / 1000).toFixed(1)} s)${r.errors.length > 0 ? ` errors: ${r.errors.join('; ').slice(0, 300)}` : ''}`,
      );
    } catch (err) {
      errors.push(`${st.id}: ${err instanceof Error ? err.message : String(err)}`);
      log(`  ${st.label}: failed: ${String(err).slice(0, 400)}`);
    }
    if (!wanted.slice(i + 1).some((next) => next.server === st.server))
      await stop(server.child, profile ? 10_000 : 0);
  }

  if (!flag('no-idle')) {
    const wantedServers = new Set(wanted.map((st) => st.server));
    const keys = quick ? ['polyrpc-msgpack', 'polyrpc-jsonrpc-tcp', 'raw'] : idleServers;
    for (const key of keys.filter((k) => wantedServers.has(k))) {
      try {
        const v = await idleRss(key);
        for (const st of wanted)
          if (st.server === key && st.group !== 'cross') summaries[st.id]!.rssPerConnKiB = v;
        log(`  ${key}: ${v.toFixed(1)} KiB RSS per idle connection (${idleCount} connections)`);
      } catch (err) {
        errors.push(`idle ${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  // Chat fan-out and --workers (issue 16): its own servers and redis-server.
  let fanout: FanoutReport | undefined;
  if (
    !flag('no-fanout') &&
    (only === undefined || /fanout/.test(only)) &&
    existsSync('/usr/bin/redis-server')
  ) {
    try {
      fanout = await runFanout({ quick, log });
      for (const e of fanout.errors) errors.push(e);
    } catch (err) {
      errors.push(`fanout: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const verdicts = targets(summaries);
  const date = new Date();
  const stamp = date.toISOString().replace(/:/g, '-').slice(0, 19);
  const caption = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${env.cores}× ${env.cpu}, Node ${env.node}${quick ? ', quick mode' : ''}`;
  const envAfter = { ...env, loadavgAfter: loadavg() };
  console.log(`\npolyrpc benchmark, ${caption}; ${String(env.pinned)}`);
  console.log(
    `load average before ${(env.loadavgBefore as number[]).map((l) => l.toFixed(2)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (the machine is shared: figures are noisy)`,
  );
  console.log(
    `HTTP stacks: "64 in flight" is 64 requests at once over keep-alive (no pipelining: up to 64 connections).`,
  );
  console.log(
    `idle RSS: ${idleCount} connections per server${quick ? ' (quick mode; the full run uses 10,000)' : ''}.\n`,
  );
  console.log(render(wanted, summaries, verdicts));
  if (fanout !== undefined) console.log(`\n${renderFanout(fanout)}`);
  if (skipped.length > 0) console.log(`\nskipped: ${skipped.join('; ')}`);
  if (errors.length > 0) console.log(`\nerrors:\n  ${errors.join('\n  ')}`);

  const doc = {
    date: date.toISOString(),
    mode: quick ? 'quick' : 'full',
    partial: only !== undefined,
    machine: envAfter,
    budget,
    idleConnections: idleCount,
    echoSizes,
    stacks: wanted.map((st) => ({
      id: st.id,
      label: st.label,
      group: st.group,
      server: servers[st.server]!.argv.join(' '),
      driver: st.driver,
    })),
    summaries,
    /** Server CPU µs per call of each cross stack beside its reference (issue 12). */
    serverCpu: serverCpu(wanted, summaries),
    raw,
    /** Chat fan-out and serve --workers figures (issue 16). */
    fanout,
    targets: verdicts,
    skipped,
    errors,
  };
  // Only a full run of every stack is the record; quick and partial runs go to scratch/.
  const record = !quick && only === undefined;
  const dir = record ? 'bench/results' : 'bench/results/scratch';
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${stamp}${quick ? '-quick' : ''}${only !== undefined ? '-partial' : ''}.json`;
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  if (record) {
    writeFileSync('bench/results/latest.json', `${JSON.stringify(doc, null, 2)}\n`);
    mkdirSync('docs', { recursive: true });
    writeFileSync('docs/bench.svg', chart(wanted, summaries, verdicts, caption));
  } else writeFileSync(`${dir}/chart.svg`, chart(wanted, summaries, verdicts, caption));
  log(
    `\nwrote ${file}${record ? ', bench/results/latest.json and docs/bench.svg' : ` and ${dir}/chart.svg`}`,
  );
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
process.on('SIGTERM', () => {
  killAll();
  process.exit(143);
});
try {
  await main();
} finally {
  killAll();
}
