/**
 * One client process: `node bench/.build/bench/client.js '<json ClientJob>'` (transpiled by run.ts). Opens
 * connections with one driver, runs the figures and prints one JSON line of results.
 */
import {
  type Budget,
  type Conn,
  concurrent,
  type Driver,
  echo,
  makePayload,
  sequential,
  warmup,
} from './lib/load.js';

/** ClientJob is what run.ts asks one client process to measure. */
export interface ClientJob {
  readonly driver: string;
  readonly target: string;
  readonly serverPid?: number;
  readonly budget: Budget;
  readonly figures: readonly ('sequential' | 'inflight64' | 'c16x16' | 'echo')[];
  readonly echoSizes: readonly number[];
}

/** ClientResult is the raw output: one entry per repetition. */
export interface ClientResult {
  /** `cpuUsPerCall` is the server's CPU per call, one call at a time (absent from older results). */
  sequential?: { rate: number[]; p50Us: number[]; p99Us: number[]; cpuUsPerCall?: number[] };
  inflight64?: { rate: number[]; cpuUsPerCall: number[]; clientCpuUsPerCall: number[] };
  c16x16?: { rate: number[] };
  echoUs?: Record<string, number[]>;
  errors: string[];
}

const drivers: Record<string, (target: string) => Promise<Driver>> = {
  polyrpc: async (t) => (await import('./drivers/polyrpc.js')).polyrpcDriver(t),
  'jayson-tcp': async (t) => (await import('./drivers/jayson.js')).jaysonDriver(t, 'tcp'),
  'jayson-http': async (t) => (await import('./drivers/jayson.js')).jaysonDriver(t, 'http'),
  xmlrpc: async (t) => (await import('./drivers/xmlrpc.js')).xmlrpcDriver(t),
  grpc: async (t) => (await import('./drivers/grpc.js')).grpcDriver(t),
  raw: async (t) => (await import('./drivers/raw.js')).rawDriver(t),
  http: async (t) => (await import('./drivers/http.js')).httpDriver(t),
  // WebSocket (issue 13)
  'jayson-ws': async (t) => (await import('./drivers/jayson-ws.js')).jaysonWsDriver(t),
  'ws-echo': async (t) => (await import('./drivers/ws-echo.js')).wsEchoDriver(t),
};

async function repeat<T>(reps: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < reps; i++) out.push(await f());
  return out;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ClientJob;
  const make = drivers[job.driver];
  if (make === undefined) throw new Error(`bench: unknown driver ${job.driver}`);
  const driver = await make(job.target);
  const { budget } = job;
  const result: ClientResult = { errors: [] };
  const opened: Conn[] = [];
  const open = async (): Promise<Conn> => {
    const c = await driver.open();
    opened.push(c);
    return c;
  };
  const attempt = async (name: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (err) {
      result.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const main = await open();
  const check = await main.add();
  if (check !== 8 && !(check instanceof Uint8Array))
    throw new Error(`bench: add(3, 5) returned ${String(check)}`);
  await warmup(main, budget.warmupMs, budget.maxCalls);

  if (job.figures.includes('sequential')) {
    await attempt('sequential', async () => {
      const runs = await repeat(budget.reps, () => sequential(main, budget, job.serverPid));
      result.sequential = {
        rate: runs.map((r) => r.rate),
        p50Us: runs.map((r) => r.p50Us),
        p99Us: runs.map((r) => r.p99Us),
        cpuUsPerCall: runs.map((r) => r.cpuUsPerCall),
      };
    });
  }
  if (job.figures.includes('inflight64')) {
    await attempt('inflight64', async () => {
      const runs = await repeat(budget.reps, () => concurrent([main], 64, budget, job.serverPid));
      result.inflight64 = {
        rate: runs.map((r) => r.rate),
        cpuUsPerCall: runs.map((r) => r.cpuUsPerCall),
        clientCpuUsPerCall: runs.map((r) => r.clientCpuUsPerCall),
      };
    });
  }
  if (job.figures.includes('c16x16')) {
    await attempt('c16x16', async () => {
      const conns = [main];
      while (conns.length < 16) conns.push(await open());
      await concurrent(conns, 16, { ...budget, phaseMs: budget.warmupMs / 2 }, undefined);
      const runs = await repeat(budget.reps, () => concurrent(conns, 16, budget, job.serverPid));
      result.c16x16 = { rate: runs.map((r) => r.rate) };
    });
  }
  if (job.figures.includes('echo')) {
    result.echoUs = {};
    for (const size of job.echoSizes) {
      await attempt(`echo ${size}`, async () => {
        const payload = makePayload(size, driver.payload);
        result.echoUs![String(size)] = await repeat(budget.echoReps ?? budget.reps, () =>
          echo(main, payload, budget),
        );
      });
    }
  }
  await Promise.race([
    Promise.allSettled(opened.map((c) => c.close())),
    new Promise((r) => setTimeout(r, 2000)),
  ]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ errors: [String(err instanceof Error ? err.stack : err)] })}\n`);
  process.exit(1);
});
