/**
 * A real redis-server per test file: Debian's /usr/bin/redis-server on a free loopback
 * port, with its own temporary directory and no snapshots, stopped by pid. Nothing is
 * shared between files and nothing is left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** REDIS_SERVER is the binary the tests run (`.ci/run` installs it). */
export const REDIS_SERVER = process.env.POLYRPC_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

/** redisMissing is the reason Redis tests are skipped, or undefined when redis-server is installed. */
export const redisMissing: string | undefined = existsSync(REDIS_SERVER)
  ? undefined
  : `${REDIS_SERVER} is not installed (apt-get install redis-server)`;

/** RedisOptions configure {@link startRedis}. */
export interface RedisOptions {
  /** The port to listen on; a free one by default (pass the old one to restart on it). */
  readonly port?: number;
  /** Keep an append-only file in the directory, so data survives a restart. Defaults to false. */
  readonly appendonly?: boolean;
  /** The data directory (to restart on the same data); a new temporary one by default. */
  readonly dir?: string;
}

/** RunningRedis is a started redis-server. */
export interface RunningRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** kill sends a signal to this redis-server (SIGKILL by default) and waits for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stop ends it (SIGTERM, then SIGKILL) and removes its directory unless `keepDir`. */
  stop(keepDir?: boolean): Promise<void>;
}

/** freePort asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** startRedis starts a redis-server and resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'polyrpc-redis-'));
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      options.appendonly === true ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (isRunning(child)) child.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: child.pid!,
    kill,
    async stop(keepDir = false) {
      if (isRunning(child)) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

// One PING over a raw socket: true on +PONG (a server still loading answers -LOADING).
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    let buf = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
  });
}
