// `polyrpc chat` through a server restart (issue 15): kill -9 of `polyrpc serve`, a
// restart on the same ports; the chat says so on stderr, reconnects by itself, and
// goes on showing new messages, each once — with push (tcp://) and polling (http://).
import { afterAll, expect, it } from 'vitest';
import { killAll, runCli, spawnCli, startServer } from './process.js';

afterAll(() => killAll());

it('chat reconnects after kill -9 and a restart, on push and on polling', async () => {
  const first = await startServer();
  const ports = {
    http: new URL(first.xmlrpc).port,
    jsonrpc: new URL(first.tcp).port,
    msgpack: new URL(first.msgpack).port,
  };
  const pushed = spawnCli(['chat', first.tcp, 'lobby', '--nick', 'amy']);
  const polled = spawnCli(['chat', first.xmlrpc, 'lobby', '--nick', 'rory']);
  await Promise.all([pushed.waitFor(/joined/, 'stderr'), polled.waitFor(/joined/, 'stderr')]);
  pushed.write('before\n');
  await Promise.all([pushed.waitFor(/amy: before$/m), polled.waitFor(/amy: before$/m)]);

  first.proc.child.kill('SIGKILL');
  await first.proc.exited;
  await pushed.waitFor(/connection lost; reconnecting/, 'stderr', 5000);
  const second = spawnCli([
    'serve',
    '--http-port',
    ports.http,
    '--jsonrpc-port',
    ports.jsonrpc,
    '--msgpack-port',
    ports.msgpack,
  ]);
  await second.waitFor(/^msgpack \S+\n/m, 'stdout', 20_000);
  await pushed.waitFor(/reconnected/, 'stderr', 5000);
  // The restarted in-memory server forgot the room: the gap is said, not hidden.
  await pushed.waitFor(/some messages were lost/, 'stderr', 5000);
  await polled.waitFor(/reconnected/, 'stderr', 5000);
  const sent = await runCli(['call', first.tcp, 'chat.send', 'lobby', 'after', 'bot']);
  expect(sent.code).toBe(0);
  await Promise.all([
    pushed.waitFor(/bot: after$/m, 'stdout', 5000),
    polled.waitFor(/bot: after$/m, 'stdout', 5000),
  ]);
  expect(pushed.stdout().match(/amy: before/g)).toHaveLength(1);
  expect(polled.stdout().match(/bot: after/g)).toHaveLength(1);
  pushed.end();
  polled.end();
  second.child.kill('SIGTERM');
  await second.exited;
}, 60_000);

// SIGTERM (a graceful shutdown): the server says `rpc.goaway`; the chat says so, moves
// to the new server as soon as it listens, and shows what is sent there — including
// what was sent before it had re-subscribed — each once, and nothing twice.
it('chat moves on at a goaway (SIGTERM and a new server on the same ports)', async () => {
  const first = await startServer();
  const ports = [
    '--http-port',
    new URL(first.xmlrpc).port,
    '--jsonrpc-port',
    new URL(first.tcp).port,
    '--msgpack-port',
    new URL(first.msgpack).port,
  ];
  const pushed = spawnCli(['chat', first.msgpack, 'hall', '--nick', 'amy']);
  await pushed.waitFor(/joined/, 'stderr');
  pushed.write('before\n');
  await pushed.waitFor(/amy: before$/m);
  first.proc.child.kill('SIGTERM');
  await pushed.waitFor(/the server is going away/, 'stderr', 5000);
  await first.proc.exited;
  const second = spawnCli(['serve', ...ports]);
  await second.waitFor(/^msgpack \S+\n/m, 'stdout', 20_000);
  const early = await runCli(['call', first.tcp, 'chat.send', 'hall', 'early', 'bot']);
  expect(early.code).toBe(0);
  // Bounded by one backoff step (up to 10 s by default) after the new server listens.
  await pushed.waitFor(/reconnected/, 'stderr', 15_000);
  const late = await runCli(['call', first.tcp, 'chat.send', 'hall', 'late', 'bot']);
  expect(late.code).toBe(0);
  await pushed.waitFor(/bot: late$/m, 'stdout', 5000);
  // The new in-memory server never had "before": the gap is said, and nothing is lost
  // of what it has, nor repeated.
  expect(pushed.stderr()).toMatch(/some messages were lost/);
  expect(pushed.stdout().match(/amy: before/g)).toHaveLength(1);
  expect(pushed.stdout().match(/bot: early/g)).toHaveLength(1);
  expect(pushed.stdout().match(/bot: late/g)).toHaveLength(1);
  expect(pushed.stdout().indexOf('bot: early')).toBeLessThan(pushed.stdout().indexOf('bot: late'));
  pushed.end();
  second.child.kill('SIGTERM');
  await second.exited;
}, 60_000);
