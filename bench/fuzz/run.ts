/**
 * The fuzzing loop for one protocol: lanes that send mutated messages over reused
 * connections (framing intact, each batch followed by a valid sync call that must be
 * answered in 5 s) and, now and then, a raw mutation on a fresh connection; a probe
 * that calls the server on a new connection every second (a hang is a probe not
 * answered in 5 s); every reply checked for well-formedness; the server's RSS sampled.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { mutateBody, Rng } from './mutate.js';
import type { FuzzProtocol } from './protocols.js';

/** ServerHandle is the running server child, as the loop sees it. */
export interface ServerHandle {
  readonly pid: number;
  readonly ports: Readonly<Record<FuzzProtocol['port'], number>>;
  /** exited is set once the child has exited. */
  readonly exited: () => boolean;
}

/** FuzzOptions bound one protocol's run. */
export interface FuzzOptions {
  readonly seconds: number;
  readonly inputs: number;
  readonly seed: number;
  readonly lanes: number;
}

/** FuzzStats is one protocol's result. */
export interface FuzzStats {
  protocol: string;
  inputs: number;
  seconds: number;
  inputsPerSecond: number;
  replies: number;
  malformed: number;
  malformedSamples: string[];
  /** Probes (a valid call on a fresh connection) not answered within 5 s. */
  hangs: number;
  /** Sync calls after a batch not answered within 5 s on a connection the server kept open. */
  stalls: number;
  crashed: boolean;
  probes: number;
  connections: number;
  serverClosed: number;
  rssStartKiB: number;
  rssPeakKiB: number;
  rssEndKiB: number;
}

const BATCH = 32;
const ANSWER_MS = 5000;

/** rssKiB reads a process's resident set size from /proc, in KiB (0 when gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

class Conn {
  readonly socket: Socket;
  private held: Buffer = Buffer.alloc(0);
  closed = false;
  onReply: (reply: Buffer) => void = () => {};
  onClose: () => void = () => {};

  constructor(
    port: number,
    private readonly p: FuzzProtocol,
  ) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
      for (let cut = this.p.split(this.held); cut !== undefined; cut = this.p.split(this.held)) {
        this.held = cut[1];
        this.onReply(cut[0]);
      }
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.onClose();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** fuzzProtocol runs one protocol until its time or input budget is spent, or the server dies. */
export async function fuzzProtocol(
  p: FuzzProtocol,
  server: ServerHandle,
  o: FuzzOptions,
): Promise<FuzzStats> {
  const port = server.ports[p.port];
  const stats: FuzzStats = {
    protocol: p.name,
    inputs: 0,
    seconds: 0,
    inputsPerSecond: 0,
    replies: 0,
    malformed: 0,
    malformedSamples: [],
    hangs: 0,
    stalls: 0,
    crashed: false,
    probes: 0,
    connections: 0,
    serverClosed: 0,
    rssStartKiB: rssKiB(server.pid),
    rssPeakKiB: 0,
    rssEndKiB: 0,
  };
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  let syncs = 0;
  const done = (): boolean =>
    stats.inputs >= o.inputs || performance.now() >= deadline || server.exited() || stats.crashed;

  const check = (reply: Buffer): void => {
    stats.replies++;
    const why = p.check(reply);
    if (why !== undefined) {
      stats.malformed++;
      if (stats.malformedSamples.length < 5)
        stats.malformedSamples.push(`${why}: ${reply.subarray(0, 120).toString('hex')}`);
    }
  };

  // Sends `bytes` then waits for the answer to sync `n` on `conn`: 'ok', 'closed' or 'timeout'.
  const exchange = (conn: Conn, bytes: Buffer, n: number): Promise<'ok' | 'closed' | 'timeout'> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), ANSWER_MS);
      conn.onReply = (reply) => {
        check(reply);
        if (p.isSync(reply, n)) {
          clearTimeout(timer);
          resolve('ok');
        }
      };
      conn.onClose = () => {
        clearTimeout(timer);
        resolve('closed');
      };
      if (conn.closed) conn.onClose();
      else conn.socket.write(bytes);
    });

  const lane = async (rng: Rng): Promise<void> => {
    let conn: Conn | undefined;
    const seed = (): Buffer => rng.pick(p.seeds);
    while (!done()) {
      if (rng.chance(0.1)) {
        // A raw mutation on a fresh connection, then half-close; read what comes back.
        const fresh = new Conn(port, p);
        stats.connections++;
        fresh.onReply = check;
        const closed = new Promise<void>((resolve) => {
          fresh.onClose = resolve;
          setTimeout(resolve, 300);
        });
        fresh.socket.end(p.rawFrame(rng, mutateBody(rng, seed(), seed(), p.nest)));
        stats.inputs++;
        await closed;
        fresh.destroy();
        continue;
      }
      if (conn === undefined || conn.closed) {
        conn = new Conn(port, p);
        stats.connections++;
      }
      const parts: Buffer[] = [];
      for (let i = 0; i < BATCH; i++) parts.push(p.frame(mutateBody(rng, seed(), seed(), p.nest)));
      const n = syncs++;
      parts.push(p.sync(n));
      const outcome = await exchange(conn, Buffer.concat(parts), n);
      stats.inputs += BATCH;
      if (outcome === 'closed') stats.serverClosed++;
      if (outcome === 'timeout' && !server.exited()) {
        stats.stalls++;
        conn.destroy();
      }
    }
    conn?.destroy();
  };

  const probe = async (): Promise<void> => {
    let k = 1_000_000;
    while (!done()) {
      const conn = new Conn(port, p);
      const outcome = await exchange(conn, p.sync(k), k);
      k++;
      conn.destroy();
      if (server.exited()) break;
      if (outcome === 'ok') stats.probes++;
      else stats.hangs++;
      for (let t = 0; t < 10 && !done(); t++) await new Promise((r) => setTimeout(r, 100));
    }
  };

  const sampler = setInterval(() => {
    stats.rssPeakKiB = Math.max(stats.rssPeakKiB, rssKiB(server.pid));
  }, 250);
  const base = new Rng(o.seed);
  await Promise.all([probe(), ...Array.from({ length: o.lanes }, () => lane(new Rng(base.next())))]);
  clearInterval(sampler);
  stats.crashed = server.exited();
  stats.seconds = (performance.now() - started) / 1000;
  stats.inputsPerSecond = Math.round(stats.inputs / stats.seconds);
  stats.rssEndKiB = rssKiB(server.pid);
  stats.rssPeakKiB = Math.max(stats.rssPeakKiB, stats.rssEndKiB);
  return stats;
}
