/**
 * The fan-out bench client (issue 16): `bench/drivers/fanout.ts '<job JSON>'`.
 * Opens `subscribers` receivers spread over the servers' URLs, then one sender sends
 * `messages` messages with at most `window` of them not yet delivered to everyone.
 * Prints one JSON line: deliveries, seconds, deliveries/s and p50/p99 send-to-receive
 * latency in ms (sender and receivers share this process's clock).
 */
import { Socket } from 'node:net';
import { pack } from 'msgpackr';
import { type Socket as IoSocket, io } from 'socket.io-client';
import type { DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/index.js';

/** FanoutJob is what the orchestrator asks for. */
export interface FanoutJob {
  readonly kind: 'polyrpc' | 'socketio' | 'floor';
  readonly urls: readonly string[];
  readonly subscribers: number;
  readonly messages: number;
  readonly window: number;
  readonly textBytes: number;
  readonly maxMs: number;
}

/** FanoutResult is the driver's one line of output. */
export interface FanoutResult {
  readonly deliveries: number;
  readonly expected: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The frame size a receiver got per message, where known (floor). */
  readonly frameBytes?: number;
}

const job = JSON.parse(process.argv[2]!) as FanoutJob;
const text = (seq: number): string => `${seq} `.padEnd(job.textBytes, 'x');
const seqOf = (t: string): number => Number.parseInt(t, 10);

// Per message: when it was sent and how many receivers have it.
const sentAt: number[] = [];
const got: number[] = [];
const latencies: number[] = [];
let deliveries = 0;
let completed = 0;
let measuring = false;
let onProgress: (() => void) | undefined;

function received(seq: number): void {
  if (!measuring || sentAt[seq] === undefined) return;
  latencies.push(performance.now() - sentAt[seq]!);
  deliveries++;
  got[seq] = (got[seq] ?? 0) + 1;
  if (got[seq] === job.subscribers) {
    completed++;
    onProgress?.();
  }
}

interface Rig {
  /** send sends message `seq` (not waiting for anything). */
  send(seq: number): void;
  close(): Promise<void>;
}

async function polyrpcRig(): Promise<Rig> {
  const clients = Array.from({ length: job.subscribers }, (_, i) =>
    createClient<DemoService>(job.urls[i % job.urls.length]!, { timeout: 60_000 }),
  );
  const subs = clients.map((c) => c.chat.subscribe('bench'));
  await Promise.all(subs.map((s) => s.ready));
  for (const s of subs)
    void (async () => {
      try {
        for await (const m of s) received(seqOf(m.text));
      } catch {}
    })();
  const sender = createClient<DemoService>(job.urls[0]!, { timeout: 60_000 });
  return {
    send: (seq) => void sender.chat.send('bench', text(seq), 'bench').catch(() => {}),
    close: async () => {
      await Promise.all([...clients, sender].map((c) => c.$close()));
    },
  };
}

async function socketioRig(): Promise<Rig> {
  const open = (url: string): Promise<IoSocket> =>
    new Promise((resolve, reject) => {
      const s = io(url, { transports: ['websocket'], reconnection: false });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  const receivers: IoSocket[] = [];
  for (let i = 0; i < job.subscribers; i += 50)
    receivers.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, job.subscribers - i) }, (_, k) =>
          open(job.urls[(i + k) % job.urls.length]!),
        ),
      )),
    );
  for (const r of receivers) r.on('msg', (m: { text: string }) => received(seqOf(m.text)));
  const sender = await open(job.urls[0]!);
  // The sender is in the room too; its own copies are not counted.
  return {
    send: (seq) =>
      void sender.emit('send', { room: 'bench', nick: 'bench', text: text(seq), at: new Date() }),
    close: async () => {
      for (const s of [...receivers, sender]) s.disconnect();
    },
  };
}

// The same bytes a polyrpc msgpack push of the message carries, give or take the ids:
// every frame the same size (id 1000 stands for any id; receivers read `seq` at byte 8).
const floorFrame = (seq: number): Buffer => {
  const body = pack([
    2,
    'rpc.event',
    [1, { id: 1000, room: 'bench', nick: 'bench', text: text(seq), at: new Date() }],
  ]);
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  frame.writeUInt32BE(seq, 8); // the receivers read the message number here (the floor decodes nothing)
  return frame;
};

async function floorRig(): Promise<Rig> {
  const size = floorFrame(0).length;
  const connect = (role: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const u = new URL(job.urls[0]!);
      const s = new Socket();
      s.once('error', reject);
      s.connect(Number(u.port), u.hostname, () => {
        s.setNoDelay(true);
        s.write(role);
        resolve(s);
      });
    });
  const receivers = await Promise.all(Array.from({ length: job.subscribers }, () => connect('R')));
  await Promise.all(
    receivers.map(
      (r) =>
        new Promise<void>((resolve) => {
          let buf: Buffer = Buffer.alloc(0);
          let ack = false;
          r.on('data', (chunk: Buffer) => {
            buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
            if (!ack) {
              ack = true;
              buf = buf.subarray(1);
              resolve();
            }
            while (buf.length >= size) {
              received(buf.readUInt32BE(8));
              buf = buf.subarray(size);
            }
          });
        }),
    ),
  );
  const sender = await connect('S');
  return {
    send: (seq) => sender.write(floorFrame(seq)),
    close: async () => {
      for (const s of [...receivers, sender]) s.destroy();
    },
  };
}

const rig = await (job.kind === 'polyrpc'
  ? polyrpcRig()
  : job.kind === 'socketio'
    ? socketioRig()
    : floorRig());
// Let subscriptions settle (a Redis subscription reads its start on its first pump).
await new Promise((r) => setTimeout(r, 500));
process.stdout.write(`${JSON.stringify({ measuring: true })}\n`); // the orchestrator reads server CPU now
measuring = true;
let sent = 0;
const start = performance.now();
await new Promise<void>((resolve) => {
  const deadline = setTimeout(resolve, job.maxMs);
  const pump = (): void => {
    while (sent < job.messages && sent - completed < job.window) {
      sent++;
      sentAt[sent] = performance.now();
      rig.send(sent);
    }
    if (completed >= job.messages) {
      clearTimeout(deadline);
      resolve();
    }
  };
  onProgress = pump;
  pump();
});
const seconds = (performance.now() - start) / 1000;
measuring = false;
latencies.sort((a, b) => a - b);
const q = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
const result: FanoutResult = {
  deliveries,
  expected: job.messages * job.subscribers,
  seconds,
  perSecond: deliveries / seconds,
  p50Ms: q(0.5),
  p99Ms: q(0.99),
  ...(job.kind === 'floor' ? { frameBytes: floorFrame(0).length } : {}),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await rig.close();
process.exit(0);
