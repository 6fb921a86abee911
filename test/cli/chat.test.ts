// `polyrpc chat`: two real processes on different protocols talking through one
// server, with push (tcp://, msgpack://, ws://, msgpack+ws://) and polling
// (http://, jsonrpc+http://).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMessage } from '../../src/cli/chat.js';
import { killAll, runCli, type Served, spawnCli, startServer, stop } from './process.js';

let served: Served;

beforeAll(async () => {
  served = await startServer();
});

afterAll(async () => {
  await served?.stop();
  killAll();
});

const LINE = (nick: string, text: string): RegExp =>
  new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${nick}: ${text}$`, 'm');

const pairs = [
  ['tcp', 'xmlrpc'],
  ['msgpack', 'jsonrpcHttp'],
  ['msgpack', 'tcp'],
  ['ws', 'msgpack'],
  ['msgpackWs', 'xmlrpc'],
  ['ws', 'msgpackWs'],
] as const;

// The chat lines a process printed, without their times.
const said = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => /^\[\d\d:\d\d:\d\d\] /.test(l))
    .map((l) => l.slice(11));

describe('chat between two processes', () => {
  it.each(pairs)('%s ↔ %s', async (a, b) => {
    const room = `room-${a}-${b}`;
    const amy = spawnCli(['chat', served[a], room, '--nick', 'amy']);
    const rory = spawnCli(['chat', served[b], room, '--nick', 'rory']);
    await Promise.all([amy.waitFor(/joined/, 'stderr'), rory.waitFor(/joined/, 'stderr')]);
    amy.write('hello from amy\n');
    await rory.waitFor(LINE('amy', 'hello from amy'));
    rory.write('hi amy\n');
    await amy.waitFor(LINE('rory', 'hi amy'));
    // EOF exits 0 after the last send; the other side still sees it.
    amy.write('bye\n');
    amy.end();
    expect(await stop(amy, 8000)).toEqual({ code: 0, signal: null });
    expect(amy.stdout()).toMatch(LINE('amy', 'bye'));
    await rory.waitFor(LINE('amy', 'bye'));
    rory.end();
    expect((await stop(rory, 8000)).code).toBe(0);
    // Each side printed each message once, in order.
    const all = ['amy: hello from amy', 'rory: hi amy', 'amy: bye'];
    expect(said(rory.stdout())).toEqual(all);
    expect(said(amy.stdout())).toEqual(all);
  });
});

describe('chat scripted', () => {
  it('sends piped lines in order and exits 0 at EOF', async () => {
    const r = await runCli(['chat', served.msgpack, 'scripted', '--nick', 'bot'], {
      input: 'one\ntwo\n\nthree\n',
    });
    expect(r.code).toBe(0);
    const history = await runCli(['call', served.tcp, 'chat.history', 'scripted', '--compact']);
    const texts = (JSON.parse(history.stdout) as { text: string; nick: string }[]).map(
      (m) => `${m.nick}:${m.text}`,
    );
    expect(texts).toEqual(['bot:one', 'bot:two', 'bot:three']);
  });

  it('exits 2 for a missing room or an unreachable server', async () => {
    const usage = await runCli(['chat', served.tcp]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing <room>/);
    const down = await runCli(['chat', 'msgpack://127.0.0.1:1', 'lobby'], { input: 'x\n' });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
  });

  it('formats messages as [hh:mm:ss] nick: text', () => {
    const at = new Date(2024, 0, 2, 3, 4, 5);
    expect(formatMessage({ nick: 'amy', text: 'hi', at })).toBe('[03:04:05] amy: hi');
    expect(formatMessage({ nick: 'amy', text: 'hi', at: at.toISOString() })).toBe('[03:04:05] amy: hi');
  });
});
