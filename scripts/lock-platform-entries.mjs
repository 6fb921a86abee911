#!/usr/bin/env node
// Adds package-lock entries for other platforms' optional binary packages.
//
// Why: the registry mirror this project installs from serves only the current
// platform's binaries (`npm view @biomejs/cli-win32-x64` is a 404 here), so
// `npm install` leaves them out of package-lock.json, and then `npm ci` refuses the
// lock as out of sync ("Missing: @biomejs/cli-win32-x64@ from lock file"). An entry
// naming the package's os/cpu is enough: npm ci skips it on a non-matching platform
// without fetching it. Run after any `npm install` that changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;
const platform =
  /-(android|darwin|freebsd|linux|openbsd|sunos|win32|aix)-(arm64|x64|arm|ia32|ppc64|s390x|riscv64|loong64|mips64el)(-(musl|gnu|msvc))?$/;
let added = 0;
for (const [key, meta] of Object.entries(pkgs)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (pkgs[`node_modules/${name}`] !== undefined || pkgs[`${key}/node_modules/${name}`] !== undefined)
      continue;
    const m = platform.exec(name);
    if (m === null) continue;
    const entry = { version };
    if (meta.dev) entry.dev = true;
    entry.cpu = [m[2]];
    entry.os = [m[1]];
    if (m[4] === 'musl') entry.libc = ['musl'];
    if (m[4] === 'gnu') entry.libc = ['glibc'];
    entry.optional = true;
    pkgs[`node_modules/${name}`] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platform-entries: added ${added} entr${added === 1 ? 'y' : 'ies'}`);
