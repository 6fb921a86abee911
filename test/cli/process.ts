/**
 * Driving the CLI as real processes: `node --import tsx src/cli/main.ts …` (no build
 * needed). Every wait is bounded, and only the processes started here are killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** ROOT is the repository root, the working directory of every spawned CLI. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const live = new Set<ChildProcess>();

/** Exit is how a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Spawned is a running CLI process with its output collected. */
export interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<Exit>;
  /** waitFor resolves with the first match of `pattern` in a stream's output so far or to come. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  /** write sends text to stdin. */
  write(text: string): void;
  /** end closes stdin. */
  end(): void;
}

/** SpawnOptions configure {@link spawnCli}. */
export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** A command to run instead of the CLI (e.g. python3), with its args. */
  readonly command?: readonly [string, ...string[]];
}

/** spawnCli starts `polyrpc <args>` (or `options.command`) with piped stdio. */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): Spawned {
  const [cmd, ...cmdArgs] = options.command ?? [process.execPath, '--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(cmd, [...cmdArgs, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out.stdout += s;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out.stderr += s;
    notify();
  });
  child.stdin?.on('error', () => {}); // the child may exit before reading
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      notify();
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(pattern, stream = 'stdout', timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        let done = false;
        const check = (): void => {
          const m = pattern.exec(out[stream]);
          if (m !== null) finish(() => resolve(m));
          else if (child.exitCode !== null || child.signalCode !== null) {
            // Let the last output arrive before giving up on an exited process.
            setTimeout(() => {
              const late = pattern.exec(out[stream]);
              finish(() =>
                late !== null
                  ? resolve(late)
                  : reject(
                      new Error(
                        `process exited before ${pattern} appeared on ${stream}:\n${out[stream]}\n${out.stderr}`,
                      ),
                    ),
              );
            }, 50);
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `timed out waiting for ${pattern} on ${stream}:\n${out[stream]}\n--- stderr:\n${out.stderr}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    write(text) {
      child.stdin?.write(text);
    },
    end() {
      child.stdin?.end();
    },
  };
}

/** RunResult is a finished process's status and output. */
export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** runCli runs `polyrpc <args>` to completion, feeding `input` on stdin, killing it after `timeoutMs`. */
export async function runCli(
  args: readonly string[],
  options: SpawnOptions & { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const p = spawnCli(args, options);
  if (options.input !== undefined) p.write(options.input);
  p.end();
  const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const exit = await p.exited;
  clearTimeout(timer);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

/** Served is a running `polyrpc serve` and its client URLs. */
export interface Served {
  readonly proc: Spawned;
  /** XML-RPC: http://127.0.0.1:port/RPC2 */
  readonly xmlrpc: string;
  /** JSON-RPC over TCP: tcp://127.0.0.1:port */
  readonly tcp: string;
  /** JSON-RPC over HTTP, as a client URL: jsonrpc+http://127.0.0.1:port/jsonrpc */
  readonly jsonrpcHttp: string;
  /** MessagePack: msgpack://127.0.0.1:port */
  readonly msgpack: string;
  /** JSON-RPC over WebSocket: ws://127.0.0.1:port/ws */
  readonly ws: string;
  /** msgpack-rpc over WebSocket: msgpack+ws://127.0.0.1:port/ws */
  readonly msgpackWs: string;
  /** The listener lines as printed. */
  readonly lines: string[];
  /** stop sends SIGTERM and waits (bounded) for the exit. */
  stop(): Promise<Exit>;
}

/** startServer runs `polyrpc serve` on ephemeral ports and parses its listener lines. */
export async function startServer(extra: readonly string[] = []): Promise<Served> {
  const proc = spawnCli([
    'serve',
    '--http-port',
    '0',
    '--jsonrpc-port',
    '0',
    '--msgpack-port',
    '0',
    ...extra,
  ]);
  // serve prints its listener lines ("<protocol> <url>") together, once every listener is up.
  await proc.waitFor(/^[\w-]+ [a-z+]+:\/\/\S+\n/m, 'stdout', 15_000);
  await new Promise((r) => setTimeout(r, 100));
  const lines = proc.stdout().trim().split('\n');
  // A URL, or '' when that listener was switched off.
  const find = (re: RegExp): string => lines.find((l) => re.test(l))?.split(' ')[1] ?? '';
  return {
    proc,
    lines,
    xmlrpc: find(/^xmlrpc http:\/\//),
    tcp: find(/^jsonrpc tcp:\/\//),
    jsonrpcHttp: find(/^jsonrpc http:\/\//).replace(/^http:/, 'jsonrpc+http:'),
    msgpack: find(/^msgpack msgpack:\/\//),
    ws: find(/^websocket ws:\/\//),
    msgpackWs: find(/^websocket msgpack\+ws:\/\//),
    stop: () => stop(proc),
  };
}

/** stop sends SIGTERM, then SIGKILL if the process is still there after `ms`. */
export async function stop(p: Spawned, ms = 10_000): Promise<Exit> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const exit = await p.exited;
  clearTimeout(timer);
  return exit;
}

/** killAll ends every process spawned here that is still running (afterAll). */
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** exitWithin waits for a process to exit on its own, killing it after `ms`. */
export async function exitWithin(p: Spawned, ms = 10_000): Promise<Exit> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const exit = await p.exited;
  clearTimeout(timer);
  return exit;
}
