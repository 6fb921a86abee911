/**
 * Micro-benchmark of result validation (docs/architecture.md): `dispatch` on the demo
 * service with `validateResults` on (the default) and off, no I/O, in ns per call.
 *
 * Run: node --import tsx bench/dispatch.ts   (about 15 s)
 * It transpiles src/ and bench/ to bench/.build/ first (as `npm run bench` does) and
 * measures that plain JavaScript, not tsx's output.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemoService } from '../src/demo/service.js';
import { createConnectionContext } from '../src/rpc/context.js';
import { dispatch } from '../src/rpc/dispatch.js';
import type { Call } from '../src/rpc/message.js';
import { createRegistry, type Registry } from '../src/rpc/registry.js';
import { BUILD_DIR, build } from './lib/build.js';

const here = dirname(fileURLToPath(import.meta.url));

if (!here.includes(BUILD_DIR)) {
  const root = join(here, '..');
  build(root);
  execFileSync(process.execPath, [join(root, BUILD_DIR, 'bench', 'dispatch.js')], { stdio: 'inherit' });
  process.exit(0);
}

const ROUNDS = 7;
const CALLS = 200_000;
const quiet = { debug() {}, error() {} };

function registries(): { on: Registry; off: Registry } {
  const on = createRegistry(createDemoService(), { logger: quiet, validateResults: true });
  const off = createRegistry(createDemoService(), { logger: quiet, validateResults: false });
  return { on, off };
}

async function nsPerCall(registry: Registry, call: Call): Promise<number> {
  const { context } = createConnectionContext({ protocol: 'bench' });
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const reply = await dispatch(registry, call, context);
    if (reply === null || !reply.ok) throw new Error(`bench: ${call.method} failed`);
  }
  return Number(process.hrtime.bigint() - start) / CALLS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { on, off } = registries();
  // Ten stored messages, so chat.history returns an array of objects (z.object per item).
  const { context } = createConnectionContext({ protocol: 'bench' });
  for (let i = 0; i < 10; i++) {
    await dispatch(on, { id: i, method: 'chat.send', params: ['bench', `message ${i}`, 'amy'] }, context);
    await dispatch(off, { id: i, method: 'chat.send', params: ['bench', `message ${i}`, 'amy'] }, context);
  }
  const calls: Call[] = [
    { id: 1, method: 'add', params: [3, 5] },
    { id: 1, method: 'hypotenuse', params: [3, 4] },
    { id: 1, method: 'echo', params: [{ name: 'Rassilon', tags: ['a', 'b'], n: 12 }] },
    { id: 1, method: 'chat.history', params: ['bench'] },
  ];
  process.stdout.write(
    `dispatch, ${CALLS} calls × ${ROUNDS} rounds, median ns/call (Node ${process.version})\n`,
  );
  process.stdout.write('call            off      on   cost\n');
  for (const call of calls) {
    await nsPerCall(on, call); // warm-up
    await nsPerCall(off, call);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      b.push(await nsPerCall(off, call));
      a.push(await nsPerCall(on, call));
    }
    const [x, y] = [median(b), median(a)];
    process.stdout.write(
      `${call.method.padEnd(14)} ${x.toFixed(0).padStart(5)} ${y.toFixed(0).padStart(7)} ${`${(y - x).toFixed(0)}`.padStart(6)}\n`,
    );
  }
}

await main();
