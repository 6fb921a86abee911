/**
 * Issue 15, server drain à la HTTP/2 GOAWAY: a real `polyrpc serve` process gets
 * SIGTERM while each of three connections (JSON-RPC/TCP, msgpack, WebSocket) has
 * pipelined 1 MB echoes in flight. Every call either succeeds or is answered
 * -32003 "not executed" — none sees only a closed connection — and the shutdown ends
 * long before its 3 s deadline. With a new server started on the same ports (in this
 * process), the clients retry the -32003 calls there by themselves and every call
 * succeeds.
 *
 * `POLYRPC_SOAK=1` runs the full load (200 × 1 MB per connection); `npm test`
 * runs 12 per connection (8 with the new server). The figures are printed as `[i15] goaway …` lines.
 */
import { afterAll, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/index.js';
import { Code, createClient, RpcError, type RpcServer, serve, TransportError } from '../../src/index.js';
import { killAll, type Spawned, spawnCli } from '../cli/process.js';
import { quiet } from './helpers.js';

afterAll(() => killAll());

// POLYRPC_GOAWAY_CALLS sets it for a measurement (docs/reliability.md).
const PER_CONNECTION =
  Number(process.env.POLYRPC_GOAWAY_CALLS) || (process.env.POLYRPC_SOAK === '1' ? 200 : 12);
const PAYLOAD = 'x'.repeat(1024 * 1024);

async function startServe(args: readonly string[]): Promise<{ proc: Spawned; lines: string[] }> {
  const proc = spawnCli(['serve', ...args]);
  await proc.waitFor(/^msgpack \S+\n/m, 'stdout', 20_000);
  return { proc, lines: proc.stdout().trim().split('\n') };
}

// The new server, in this process (a second `polyrpc serve` compiling its sources
// would take the CPU the draining one needs): the old process stops listening at once,
// so the ports free up within a few tries.
async function takeOver(http: number, jsonrpc: number, msgpack: number): Promise<RpcServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await serve(createDemoService(), { httpPort: http, ports: { jsonrpc, msgpack }, logger: quiet });
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const urlOf = (lines: readonly string[], re: RegExp): string =>
  lines.find((l) => re.test(l))?.split(' ')[1] ?? '';

interface Tally {
  ok: number;
  notExecuted: number;
  closed: number;
  other: string[];
}

function tally(outcomes: readonly PromiseSettledResult<unknown>[]): Tally {
  const t: Tally = { ok: 0, notExecuted: 0, closed: 0, other: [] };
  for (const o of outcomes) {
    if (o.status === 'fulfilled') {
      if (o.value === PAYLOAD) t.ok++;
      else t.other.push('wrong echo');
    } else if (o.reason instanceof RpcError && o.reason.code === Code.NotExecuted) t.notExecuted++;
    else if (o.reason instanceof TransportError && o.reason.reason === 'closed') t.closed++;
    else t.other.push(String(o.reason));
  }
  return t;
}

async function scenario(restart: boolean, perConnection: number): Promise<void> {
  const first = await startServe(['--http-port', '0', '--jsonrpc-port', '0', '--msgpack-port', '0']);
  const urls = {
    tcp: urlOf(first.lines, /^jsonrpc tcp:/),
    msgpack: urlOf(first.lines, /^msgpack msgpack:/),
    ws: urlOf(first.lines, /^websocket ws:/),
  };
  const port = (u: string): string => new URL(u).port;
  const clients = Object.values(urls).map((url) =>
    createClient<DemoService>(url, {
      timeout: 30_000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      // Without a new server the retries could only wait for their deadline: count the -32003s.
      retryNotExecuted: restart ? 2 : 0,
    }),
  );
  await Promise.all(clients.map((c) => c.add(1, 1)));
  const calls = clients.flatMap((c) => Array.from({ length: perConnection }, () => c.echo(PAYLOAD)));
  // The first echo back means the server is working through the backlog: stop it now.
  await Promise.race(calls);
  const termAt = performance.now();
  first.proc.child.kill('SIGTERM');
  let second: RpcServer | undefined;
  if (restart)
    second = await takeOver(Number(port(urls.ws)), Number(port(urls.tcp)), Number(port(urls.msgpack)));
  await first.proc.exited;
  const shutdownMs = Math.round(performance.now() - termAt);
  const settled = await Promise.allSettled(calls);
  const t = tally(settled);
  for (let c = 0; c < 3; c++) {
    const part = settled.slice(c * perConnection, (c + 1) * perConnection);
    const bad = part.filter((o) => o.status === 'rejected' && o.reason instanceof TransportError);
    if (bad.length > 0)
      console.log(
        `[i15] goaway ${Object.values(urls)[c]}: ${bad.length} ${String((bad[0] as PromiseRejectedResult).reason)}`,
      );
  }
  const { other, ...counts } = t;
  console.log(
    `[i15] goaway ${restart ? 'with restart' : 'no restart'}: ${JSON.stringify({ calls: calls.length, ...counts, other: other.length, shutdownMs, stderr: first.proc.stderr().trim().split('\n').at(-1) })}`,
  );
  expect(other).toEqual([]);
  expect(t.closed).toBe(0);
  if (restart) expect(t.ok).toBe(calls.length);
  else expect(t.ok + t.notExecuted).toBe(calls.length);
  expect(first.proc.stderr()).toContain('polyrpc: stopped');
  await Promise.all(clients.map((c) => c.$close()));
  await second?.close(1000);
}

it('SIGTERM with pipelined 1 MB echoes: every call succeeds or is -32003, none sees a bare close', async () => {
  await scenario(false, PER_CONNECTION);
}, 120_000);

it('SIGTERM with a new server on the same ports: every call succeeds (the -32003s are retried there)', async () => {
  await scenario(true, 8);
}, 120_000);
