/**
 * The fuzzer's smoke run, part of `npm test`: a second and a half per protocol, at most
 * 3,000 inputs each, against the demo server in a child process. Every protocol must
 * take its inputs without a crash, a hang, a stalled connection or a malformed reply.
 * The long run is `npm run fuzz` (docs/reliability.md).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FuzzStats } from '../../bench/fuzz/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('fuzz smoke', () => {
  it('every protocol takes a few thousand mutated inputs without a crash, hang or malformed reply', async () => {
    // A new seed each run covers more ground; a failure names it (`npm run fuzz -- --seed N`).
    const seed = `${Date.now() % 100_000}`;
    const stdout = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/fuzz.ts',
          '--seconds',
          '1.5',
          '--inputs',
          '3000',
          '--lanes',
          '2',
          '--json',
          '--seed',
          seed,
        ],
        { cwd: ROOT, timeout: 40_000 },
        (_err, out) => resolve(out), // a finding exits 1; the figures say which
      );
    });
    const stats = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FuzzStats);
    expect(stats.map((s) => s.protocol)).toEqual(['msgpack', 'jsonrpc', 'jsonrpc-http', 'xmlrpc']);
    for (const s of stats) {
      expect(s.inputs, s.protocol).toBeGreaterThanOrEqual(500);
      expect(s.replies, s.protocol).toBeGreaterThan(0);
      expect({
        seed,
        protocol: s.protocol,
        crashed: s.crashed,
        hangs: s.hangs,
        stalls: s.stalls,
        malformed: s.malformedSamples,
      }).toEqual({
        seed,
        protocol: s.protocol,
        crashed: false,
        hangs: 0,
        stalls: 0,
        malformed: [],
      });
    }
  }, 45_000);
});
