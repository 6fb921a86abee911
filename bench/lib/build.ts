/**
 * Compiles src/ and bench/ to plain JavaScript in bench/.build/ (transpile only, no
 * type check) so the measured processes run what `npm run build` would ship. Under
 * tsx every function expression is wrapped in esbuild's `__name()` (keepNames),
 * which costs a defineProperty per closure on the hot path and skews the figures.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** BUILD_DIR is where the compiled tree goes, relative to the repository root. */
export const BUILD_DIR = 'bench/.build';

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'results' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) yield path;
  }
}

/** build transpiles every .ts file under src/ and bench/ of `root`; returns the file count. */
export function build(root: string): number {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    sourceMap: false,
  };
  let count = 0;
  for (const top of ['src', 'bench']) {
    for (const file of tsFiles(join(root, top))) {
      const out = join(root, BUILD_DIR, relative(root, file)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: options,
        fileName: file,
      });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
      count++;
    }
  }
  writeFileSync(join(root, BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
  return count;
}
