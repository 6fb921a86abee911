/**
 * `polyrpc serve --workers N`: N processes sharing every listener (node:cluster; the
 * primary accepts and hands connections out round-robin). The primary binds nothing:
 * it forks the workers with the same command line, prints the listener lines once,
 * replaces a worker that dies (with backoff) and, on SIGINT/SIGTERM, asks every worker
 * to drain and exits 0 when they have.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Exit, UsageError } from './args.js';

/** isWorker tells whether this process is a worker of `serve --workers`. */
export const isWorker = cluster.isWorker;

/** Messages between the primary and its workers. */
type Note =
  | { readonly polyrpc: 'ready'; readonly out: string; readonly info: string }
  | { readonly polyrpc: 'stop' };

/** WORKERS_STOP_MS is how long the primary waits for draining workers before killing them. */
const WORKERS_STOP_MS = 9000;
/** A worker that lived this long resets the restart backoff. */
const HEALTHY_MS = 10_000;

/**
 * workerCount reads `--workers`: a positive integer or `auto` (the available cores).
 * @throws UsageError for anything else.
 */
export function workerCount(value: string | boolean | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new UsageError(`--workers must be a number from 1 to 1024 or "auto", got ${JSON.stringify(value)}`);
  return n;
}

/** announceReady tells the primary that this worker serves, with its listener output and status line. */
export function announceReady(out: string, info: string): void {
  process.send?.({ polyrpc: 'ready', out, info } satisfies Note);
}

/** onStopRequest calls `stop` when the primary asks this worker to drain, or is gone. */
export function onStopRequest(stop: () => void): void {
  process.on('message', (m: unknown) => {
    if ((m as Note | null)?.polyrpc === 'stop') stop();
  });
  process.on('disconnect', stop);
}

/** runPrimary runs the primary of `n` workers and resolves with the exit status once they have stopped. */
export function runPrimary(n: number, verbose: boolean): Promise<number> {
  return new Promise((done) => {
    const say = (line: string): void => {
      if (verbose) process.stderr.write(`polyrpc: ${line}\n`);
    };
    let stopping = false;
    let served = false; // some worker has been ready: a later death is a crash, not a start-up failure
    let quickDeaths = 0;
    const born = new Map<Worker, number>();
    const live = (): Worker[] =>
      Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

    const fork = (): void => {
      const w = cluster.fork();
      born.set(w, Date.now());
      w.on('message', (m: Note) => {
        if (m?.polyrpc !== 'ready') return;
        if (!served) {
          served = true;
          process.stdout.write(m.out);
          if (m.info !== '') say(m.info);
        }
        say(`worker ${w.process.pid} ready`);
      });
    };

    const finish = (status: number): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      done(status);
    };

    cluster.on('exit', (w, code, signal) => {
      const lived = Date.now() - (born.get(w) ?? Date.now());
      born.delete(w);
      if (stopping) {
        if (live().length === 0) {
          say('stopped');
          finish(Exit.Ok);
        }
        return;
      }
      if (!served) {
        // A worker that could not start (its error is on stderr): the others would fail alike.
        stopping = true;
        for (const other of live()) other.process.kill('SIGKILL');
        finish(Exit.Failure);
        return;
      }
      quickDeaths = lived > HEALTHY_MS ? 0 : quickDeaths + 1;
      const delay = Math.min(100 * 2 ** Math.max(0, quickDeaths - 1), 5000);
      say(`worker ${w.process.pid} died (${signal ?? `exit ${code}`}); starting another in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) fork();
      }, delay);
    });

    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`polyrpc: ${signal} again, exiting now\n`);
        for (const w of live()) w.process.kill('SIGKILL');
        process.exit(130);
      }
      stopping = true;
      say(`${signal}, draining ${live().length} workers`);
      for (const w of live()) if (w.isConnected()) w.send({ polyrpc: 'stop' } satisfies Note);
      const timer = setTimeout(() => {
        for (const w of live()) w.process.kill('SIGKILL');
      }, WORKERS_STOP_MS);
      timer.unref();
      if (live().length === 0) finish(Exit.Ok);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    for (let i = 0; i < n; i++) fork();
  });
}
