/**
 * The client-side load loops. Every loop is bounded in call count and in time, and
 * a stalled phase is abandoned after a watchdog (its figure becomes NaN).
 */
import { cpuSeconds } from './proc.js';

/** Conn is one client connection (or one client object) of a stack. */
export interface Conn {
  /** add calls `add(3, 5)`; resolves with the result. */
  add(): Promise<unknown>;
  /** echo sends `payload` and resolves with what came back. */
  echo(payload: Uint8Array | string): Promise<unknown>;
  close(): Promise<void>;
}

/** Driver opens connections to one server with one client library. */
export interface Driver {
  /** How payloads travel: bytes where the protocol has a binary type, else a string. */
  readonly payload: 'binary' | 'string';
  open(): Promise<Conn>;
}

/** Budget bounds every phase. */
export interface Budget {
  readonly reps: number;
  readonly warmupMs: number;
  readonly phaseMs: number;
  readonly maxCalls: number;
  /** Time per echo repetition; the call count is derived from the payload size. */
  readonly echoMs: number;
  /** Repetitions of each echo size. Defaults to `reps`. */
  readonly echoReps?: number;
}

/** Sequential is one repetition of back-to-back calls. */
export interface Sequential {
  readonly rate: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Server CPU time per call in µs, when the server pid is known (else NaN). */
  readonly cpuUsPerCall: number;
}

const WATCHDOG_MS = 15_000;

function withWatchdog<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} stalled for ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * sequential issues one call at a time and records each latency, and reads the
 * server's CPU time around the phase when `serverPid` is given.
 */
export async function sequential(conn: Conn, budget: Budget, serverPid?: number): Promise<Sequential> {
  const run = async (): Promise<Sequential> => {
    const lat = new Float64Array(budget.maxCalls);
    const cpu0 = serverPid === undefined ? Number.NaN : cpuSeconds(serverPid);
    const start = performance.now();
    const deadline = start + budget.phaseMs;
    let n = 0;
    let now = start;
    while (n < budget.maxCalls && now < deadline) {
      const t0 = now;
      await conn.add();
      now = performance.now();
      lat[n++] = now - t0;
    }
    const cpu1 = serverPid === undefined ? Number.NaN : cpuSeconds(serverPid);
    const sorted = lat.subarray(0, n).sort();
    const at = (p: number): number => sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]! * 1000;
    return {
      rate: n / ((now - start) / 1000),
      p50Us: at(50),
      p99Us: at(99),
      cpuUsPerCall: ((cpu1 - cpu0) / n) * 1e6,
    };
  };
  return withWatchdog(run(), budget.phaseMs + WATCHDOG_MS, 'sequential');
}

/** Concurrent is one repetition of a closed loop with many calls in flight. */
export interface Concurrent {
  readonly rate: number;
  /** Server CPU time per call in µs, when the server pid is known. */
  readonly cpuUsPerCall: number;
  /** This client's CPU time per call in µs. */
  readonly clientCpuUsPerCall: number;
}

/**
 * concurrent keeps `depth` calls in flight on each connection until the call or time
 * budget runs out, and reads the server's CPU time around the phase.
 */
export async function concurrent(
  conns: readonly Conn[],
  depth: number,
  budget: Budget,
  serverPid: number | undefined,
): Promise<Concurrent> {
  let done = 0;
  let deadline = 0;
  const worker = async (conn: Conn): Promise<void> => {
    while (done < budget.maxCalls && performance.now() < deadline) {
      await conn.add();
      done++;
    }
  };
  const cpu0 = serverPid === undefined ? Number.NaN : cpuSeconds(serverPid);
  const own0 = process.cpuUsage();
  const start = performance.now();
  deadline = start + budget.phaseMs;
  const workers: Promise<void>[] = [];
  for (const conn of conns) for (let i = 0; i < depth; i++) workers.push(worker(conn));
  await withWatchdog(
    Promise.all(workers),
    budget.phaseMs + WATCHDOG_MS,
    `${conns.length}×${depth} in flight`,
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = serverPid === undefined ? Number.NaN : cpuSeconds(serverPid);
  const own = process.cpuUsage(own0);
  return {
    rate: done / seconds,
    cpuUsPerCall: ((cpu1 - cpu0) / done) * 1e6,
    clientCpuUsPerCall: (own.user + own.system) / done,
  };
}

/** makePayload builds an echo payload of `size` bytes (or characters). */
export function makePayload(size: number, kind: Driver['payload']): Uint8Array | string {
  if (kind === 'string') return 'x'.repeat(size);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function lengthOf(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof ArrayBuffer) return v.byteLength;
  return -1;
}

/**
 * echo sends `payload` back to back and returns the mean round trip in µs for one
 * repetition. The first reply's length is checked.
 */
export async function echo(conn: Conn, payload: Uint8Array | string, budget: Budget): Promise<number> {
  const size = typeof payload === 'string' ? payload.length : payload.byteLength;
  const first = await withWatchdog(conn.echo(payload), WATCHDOG_MS, 'echo');
  if (lengthOf(first) !== size) throw new Error(`bench: echo of ${size} returned length ${lengthOf(first)}`);
  const maxCalls = Math.max(
    3,
    Math.min(budget.maxCalls, Math.floor((2e8 * budget.echoMs) / 1000 / (size + 200))),
  );
  const run = async (): Promise<number> => {
    const start = performance.now();
    const deadline = start + budget.echoMs;
    let n = 0;
    while (n < maxCalls && (n === 0 || performance.now() < deadline)) {
      await conn.echo(payload);
      n++;
    }
    return ((performance.now() - start) * 1000) / n;
  };
  return withWatchdog(run(), budget.echoMs + WATCHDOG_MS, `echo ${size}`);
}

/** warmup runs calls for `ms` with 16 in flight, to get both sides' JIT going. */
export async function warmup(conn: Conn, ms: number, maxCalls: number): Promise<void> {
  await concurrent([conn], 16, { reps: 1, warmupMs: 0, phaseMs: ms, maxCalls, echoMs: 0 }, undefined);
  await sequential(conn, { reps: 1, warmupMs: 0, phaseMs: ms / 4, maxCalls, echoMs: 0 });
}
