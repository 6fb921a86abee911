/**
 * Issue 15: kill -9 of a `polyrpc serve` process and a restart on the same ports.
 * Clients on JSON-RPC/TCP, msgpack and WebSocket reconnect by themselves within 1 s
 * of the ports accepting again (with `maxDelayMs` 800: the wait after the port is
 * back is at most one backoff step), and a chat subscriber, whose in-memory server
 * forgot its messages, gets the documented gap signal (-32002) instead of a silent
 * gap. Only the processes started here are killed, by their handle.
 */
import { afterAll, expect, it } from 'vitest';
import type { DemoService } from '../../src/demo/index.js';
import { Code, type ConnectionState, createClient, RpcError } from '../../src/index.js';
import { killAll, type Spawned, spawnCli } from '../cli/process.js';

afterAll(() => killAll());

async function startServe(ports: readonly string[]): Promise<{ proc: Spawned; lines: string[] }> {
  const proc = spawnCli(['serve', ...ports]);
  await proc.waitFor(/^msgpack \S+\n/m, 'stdout', 20_000);
  return { proc, lines: proc.stdout().trim().split('\n') };
}

const urlOf = (lines: readonly string[], re: RegExp): string =>
  lines.find((l) => re.test(l))?.split(' ')[1] ?? '';

it('clients reconnect within 1 s of a restart; subscribers get EventsLost from the forgetful server', async () => {
  const first = await startServe(['--http-port', '0', '--jsonrpc-port', '0', '--msgpack-port', '0']);
  const urls = {
    tcp: urlOf(first.lines, /^jsonrpc tcp:/),
    msgpack: urlOf(first.lines, /^msgpack msgpack:/),
    ws: urlOf(first.lines, /^websocket ws:/),
  };
  const port = (u: string) => new URL(u).port;
  const clients = Object.entries(urls).map(([name, url]) => {
    const rpc = createClient<DemoService>(url, { timeout: 10_000, reconnect: { maxDelayMs: 800 } });
    const opened: number[] = [];
    rpc.$onState((s: ConnectionState) => {
      if (s === 'open') opened.push(performance.now());
    });
    return { name, rpc, opened };
  });
  const subs = clients.map((c) => c.rpc.chat.subscribe('restart', 0));
  await Promise.all(subs.map((s) => s.ready));
  await clients[0]!.rpc.chat.send('restart', 'before');
  for (const s of subs) expect((await s.next()).value?.text).toBe('before');

  first.proc.child.kill('SIGKILL');
  await first.proc.exited;
  const killedAt = performance.now();
  const second = await startServe([
    '--http-port',
    port(urls.ws),
    '--jsonrpc-port',
    port(urls.tcp),
    '--msgpack-port',
    port(urls.msgpack),
  ]);
  const acceptingAt = performance.now(); // the listener lines follow the listen() calls
  const deadline = acceptingAt + 3000;
  while (clients.some((c) => c.opened.length < 2) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  const figures = clients.map((c) => ({
    client: c.name,
    afterAccepting: Math.max(0, Math.round((c.opened[1] ?? Number.NaN) - acceptingAt)),
    afterKill: Math.round((c.opened[1] ?? Number.NaN) - killedAt),
  }));
  console.log(`[i15] restart: ${JSON.stringify(figures)}`);
  for (const f of figures) expect(f.afterAccepting).toBeLessThanOrEqual(1000);

  // The restarted server has no message 1: resuming after it is a gap, said out loud.
  for (const s of subs) {
    const err = await s.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.EventsLost);
  }
  // Calls work on the new server.
  for (const c of clients) expect(await c.rpc.add(2, 2)).toBe(4);
  await Promise.all(clients.map((c) => c.rpc.$close()));
  second.proc.child.kill('SIGTERM');
  await second.proc.exited;
}, 60_000);
