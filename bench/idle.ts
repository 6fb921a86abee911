/**
 * Idle connections: `bench/idle.ts '{"host":…,"port":…,"count":…}'` opens `count` TCP
 * connections (256 at a time), prints `{"open":n,"failed":m}` and keeps them open,
 * sending nothing, until stdin closes or 60 s pass.
 */
import { connect, type Socket } from 'node:net';

const { host, port, count } = JSON.parse(process.argv[2] ?? '{}') as {
  host: string;
  port: number;
  count: number;
};
const sockets: Socket[] = [];
let failed = 0;

const one = (): Promise<void> =>
  new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      sockets.push(s);
      resolve();
    });
    s.once('error', () => {
      failed++;
      resolve();
    });
  });

const deadline = Date.now() + 30_000;
for (let i = 0; i < count && Date.now() < deadline; i += 256) {
  const wave: Promise<void>[] = [];
  for (let j = i; j < Math.min(count, i + 256); j++) wave.push(one());
  await Promise.all(wave);
}
process.stdout.write(`${JSON.stringify({ open: sockets.length, failed })}\n`);
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
setTimeout(() => process.exit(0), 60_000);
