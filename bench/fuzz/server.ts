/**
 * The server under test: `polyrpc serve` on free ports in a child process, so that a
 * crash is the child exiting and its RSS is its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerHandle } from './run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Server is the `polyrpc serve` child. */
export interface Server extends ServerHandle {
  readonly child: ChildProcess;
}

/** startServer runs `polyrpc serve` on free ports and reads its listener lines. */
export function startServer(): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--http-port',
      '0',
      '--jsonrpc-port',
      '0',
      '--msgpack-port',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.stderr!.on('data', () => {}); // the server logs refused input; keep the pipe drained
  return new Promise((resolve, reject) => {
    const ports = { http: 0, jsonrpc: 0, msgpack: 0 };
    let out = '';
    const timer = setTimeout(() => reject(new Error('fuzz: the server did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`fuzz: the server exited (${code}) before listening`)));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        const m = /^(\S+) (\S+:\/\/\S+)$/.exec(line.trim());
        if (m === null) continue;
        const url = new URL(m[2]!);
        if (url.protocol === 'http:') ports.http = Number(url.port);
        else if (m[1] === 'jsonrpc') ports.jsonrpc = Number(url.port);
        else if (m[1] === 'msgpack') ports.msgpack = Number(url.port);
      }
      if (ports.http && ports.jsonrpc && ports.msgpack) {
        clearTimeout(timer);
        resolve({ pid: child.pid!, ports, exited: () => exited, child });
      }
    });
  });
}

/** stop ends the child (SIGTERM, then SIGKILL after 5 s) and waits for it. */
export function stop(server: Server): Promise<void> {
  if (server.exited()) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
    setTimeout(() => server.child.kill('SIGKILL'), 5000).unref();
  });
}
