/**
 * Child processes for the benchmark: spawn pinned to a core, read a process's CPU
 * time and RSS from /proc, and kill exactly the processes we started, by pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/** pinning says whether processes are pinned to cores (taskset exists). */
export const pinning = TASKSET !== undefined;

/** CLK_TCK is the unit of utime/stime in /proc/<pid>/stat. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

const spawned = new Set<ChildProcess>();

/** Child is a spawned process whose stdout is read line by line. */
export interface Child {
  readonly pid: number;
  readonly proc: ChildProcess;
  /** nextLine resolves with the next stdout line, or rejects on exit or after `timeoutMs`. */
  nextLine(timeoutMs: number): Promise<string>;
  /** send writes one line to the child's stdin. */
  send(line: string): void;
  /** stderr collected so far (for error messages). */
  stderr(): string;
  kill(): void;
}

/**
 * start runs `argv` on `core` (when taskset exists) with the fd limit raised to the
 * hard limit. The shell `exec`s, so the pid is the process's own.
 */
export function start(argv: readonly string[], core: number | undefined): Child {
  const pinned = core !== undefined && TASKSET !== undefined ? [TASKSET, '-c', String(core)] : [];
  const proc = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...pinned, ...argv],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  if (proc.pid === undefined) throw new Error(`bench: cannot start ${argv.join(' ')}`);
  spawned.add(proc);
  const lines: string[] = [];
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let err = '';
  let exited: Error | undefined;
  proc.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const w = waiters.shift();
    if (w !== undefined) w.resolve(line);
    else lines.push(line);
  });
  proc.on('exit', (code, signal) => {
    spawned.delete(proc);
    exited = new Error(
      `bench: ${argv.slice(0, 4).join(' ')} exited (${signal ?? code}): ${err.trim().slice(-1500)}`,
    );
    // Let readline flush lines already read before failing the waiters.
    setImmediate(() => {
      for (const w of waiters.splice(0)) w.reject(exited!);
    });
  });
  proc.stdin?.on('error', () => {});
  return {
    pid: proc.pid,
    proc,
    nextLine(timeoutMs) {
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise((resolve, reject) => {
        const w = {
          resolve: (l: string) => {
            clearTimeout(timer);
            resolve(l);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(
            new Error(
              `bench: no output from ${argv.slice(0, 4).join(' ')} within ${timeoutMs} ms: ${err.trim().slice(-800)}`,
            ),
          );
        }, timeoutMs);
        waiters.push(w);
      });
    },
    send(line) {
      proc.stdin?.write(`${line}\n`);
    },
    stderr: () => err,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      spawned.delete(proc);
    },
  };
}

/** killAll kills every process this module started and that is still running. */
export function killAll(): void {
  for (const proc of spawned) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  spawned.clear();
}

/** cpuSeconds returns user + system CPU time of a process (all threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** rssBytes returns a process's resident set size. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

/**
 * stop waits up to `graceMs` for the process to exit by itself (when `natural`), else
 * sends SIGTERM (so a profiled server writes its profile), then SIGKILL after `graceMs`.
 */
export async function stop(child: Child, graceMs: number, natural = false): Promise<void> {
  const { proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  if (natural) await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  child.kill();
}
