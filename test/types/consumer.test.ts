/**
 * Issue 10 item 7: the published types, seen from a consumer project set up the way
 * the README says. `npm pack` (which builds dist/) makes the tarball; a project in a
 * temp dir outside the repository gets it unpacked as node_modules/polyrpc, with its
 * dependencies linked from ours (no network), and `tsc` compiles:
 *
 * - the README's TypeScript section (its tsconfig.json and script), which then runs
 *   and must exit by itself;
 * - test/types/consumer/check.ts, whose `@ts-expect-error` lines must all meet an
 *   error, with @types/node, without it, and without it under `skipLibCheck`.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

let dir: string;
let strictLibsRun: Promise<string[]> | undefined;

// The errors of the check without @types/node and without skipLibCheck (run once).
function strictLibs(): Promise<string[]> {
  strictLibsRun ??= tsc('tsconfig.strict-libs.json').then((out) =>
    out.split('\n').filter((l) => /error TS/.test(l)),
  );
  return strictLibsRun;
}

// The fenced block that follows `<!-- consumer: name -->` in the README.
function readmeFile(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(
    `<!-- consumer: ${name.replace('.', '\\.')} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``,
  ).exec(readme);
  if (m === null) throw new Error(`README.md has no block marked <!-- consumer: ${name} -->`);
  return m[1]!;
}

function link(from: string, name: string): void {
  const target = join(dir, 'node_modules', name);
  mkdirSync(join(target, '..'), { recursive: true });
  symlinkSync(join(ROOT, from, name), target, 'dir');
}

// tsc's diagnostics, one per line (empty when it compiled).
async function tsc(project: string): Promise<string> {
  try {
    await run(process.execPath, [TSC, '-p', project], { cwd: dir, timeout: 60_000 });
    return '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'polyrpc-consumer-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: ROOT,
    timeout: 120_000,
  });
  const tarball = join(dir, stdout.trim().split('\n').pop()!);
  mkdirSync(join(dir, 'node_modules/polyrpc'), { recursive: true });
  await run('tar', ['xzf', tarball, '-C', join(dir, 'node_modules/polyrpc'), '--strip-components=1']);
  for (const dep of Object.keys(pkg.dependencies)) link('node_modules', dep);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  cpSync(join(ROOT, 'test/types/consumer/check.ts'), join(dir, 'check.ts'));

  // The README's setup, with @types/node (a Node project has it).
  const readmeConfig = JSON.parse(readmeFile('tsconfig.json')) as {
    compilerOptions: Record<string, unknown>;
  };
  const main = readmeFile('main.ts')
    .replace('serve(service)', 'serve(service, { httpPort: 0, ports: { jsonrpc: 0, msgpack: 0 } })')
    .replace("'msgpack://127.0.0.1:8002'", "server.listeners.find((l) => l.protocol === 'msgpack')!.url");
  writeFileSync(join(dir, 'main.ts'), main);
  link('node_modules', '@types/node');
  link('node_modules', 'undici-types'); // @types/node's own dependency
  const readmeProject = {
    ...readmeConfig,
    compilerOptions: { ...readmeConfig.compilerOptions, outDir: 'out' },
    files: ['main.ts', 'check.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.readme.json'), JSON.stringify(readmeProject));
  // The same without @types/node, with and without skipLibCheck.
  const bare = { ...readmeConfig.compilerOptions, types: [], noEmit: true };
  writeFileSync(
    join(dir, 'tsconfig.bare.json'),
    JSON.stringify({ compilerOptions: { ...bare, skipLibCheck: true }, files: ['check.ts'] }),
  );
  writeFileSync(
    join(dir, 'tsconfig.strict-libs.json'),
    JSON.stringify({ compilerOptions: { ...bare, skipLibCheck: false }, files: ['check.ts'] }),
  );
}, 180_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('a consumer project (npm pack)', () => {
  it("compiles the README's setup and script, and the script prints 5 and exits", async () => {
    expect(await tsc('tsconfig.readme.json')).toBe('');
    const { stdout } = await run(process.execPath, ['out/main.js'], { cwd: dir, timeout: 15_000 });
    expect(stdout.trim()).toBe('5');
  });

  it('keeps the client typed without @types/node, with and without skipLibCheck', async () => {
    const [skipped, checked] = await Promise.all([tsc('tsconfig.bare.json'), strictLibs()]);
    expect(skipped).toBe('');
    expect(checked).toEqual([]);
  });

  it('compiles with no error at all without @types/node', async () => {
    expect(await strictLibs()).toEqual([]);
  });
});
