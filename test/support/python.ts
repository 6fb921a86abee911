/**
 * Running a Python peer from a test: one process, its output collected, killed if it
 * runs past its time.
 */
import { spawn } from 'node:child_process';

/** PythonRun is how a Python process ended. */
export interface PythonRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** runPython runs `python argv…` and resolves when it exits (SIGKILL after `timeoutMs`). */
export function runPython(python: string, argv: readonly string[], timeoutMs: number): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
