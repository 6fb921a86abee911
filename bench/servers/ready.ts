/** Shared by the bench servers: announce the URL, and exit cleanly on SIGTERM (so `--cpu-prof` is written). */

/** ready prints the one line run.ts waits for. */
export function ready(url: string): void {
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
