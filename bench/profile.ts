/**
 * `node --import tsx bench/profile.ts <file.cpuprofile> [count]` prints the functions
 * with the most self time in a V8 CPU profile (from `npm run bench -- --profile`),
 * and the same grouped by source file.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
}

const [file, countArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: bench/profile.ts <file.cpuprofile> [count]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
const samples = profile.samples ?? [];
const deltas = profile.timeDeltas ?? [];
for (let i = 0; i < samples.length; i++)
  self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const short = (url: string): string =>
  url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/') || '(native)';
const fns = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const key = `${functionName || '(anonymous)'}  ${short(url)}${url ? `:${lineNumber + 1}` : ''}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  const f = url === '' ? `(${functionName || 'native'})` : short(url);
  files.set(f, (files.get(f) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number): string =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
const n = Number(countArg ?? 30);
console.log(
  `${(total / 1e6).toFixed(2)} s sampled\n\nself time by function:\n${top(fns, n)}\n\nself time by file:\n${top(files, 20)}`,
);
