// `polyrpc serve` observability flags as a real process (issue 17): --log-format json
// with --log-calls (one JSON object per line), --metrics / --no-metrics, bad values.
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runCli, startServer } from './process.js';

afterAll(killAll);

const metricsUrl = (xmlrpc: string): string => xmlrpc.replace('/RPC2', '/metrics');

describe('serve observability', () => {
  it('writes one JSON object per line with --log-format json, calls with --log-calls', async () => {
    const served = await startServer(['--log-format', 'json', '--log-calls']);
    await runCli(['call', served.msgpack, 'add', '2', '2']);
    await runCli(['call', served.xmlrpc, 'credentials.lookup', 'Nobody']);
    await served.proc.waitFor(/"method":"credentials\.lookup"/, 'stderr');
    const stop = await served.stop();
    expect(stop.code).toBe(0);
    const entries = served.proc
      .stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const e of entries) {
      expect(typeof e.time).toBe('string');
      expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
      expect(['error', 'info', 'debug']).toContain(e.level);
      expect(typeof e.msg).toBe('string');
    }
    const calls = entries.filter((e) => e.msg === 'call');
    expect(calls).toEqual([
      expect.objectContaining({ method: 'add', protocol: 'msgpack', code: 0, level: 'info' }),
      expect.objectContaining({ method: 'credentials.lookup', protocol: 'xmlrpc', code: 404 }),
    ]);
    for (const c of calls) {
      expect(c.peer).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(typeof c.ms).toBe('number');
    }
    expect(entries.map((e) => e.msg)).toContain('stopped');
    expect(entries.find((e) => String(e.msg).startsWith('metrics at'))?.url).toBe(metricsUrl(served.xmlrpc));
  });

  it('serves /metrics on loopback by default, and not with --no-metrics', async () => {
    const on = await startServer();
    await runCli(['call', on.tcp, 'add', '1', '1']);
    const text = await (await fetch(metricsUrl(on.xmlrpc))).text();
    expect(text).toContain('polyrpc_calls_total{protocol="jsonrpc",method="add",code="0"} 1');
    const off = await startServer(['--no-metrics']);
    expect((await fetch(metricsUrl(off.xmlrpc))).status).toBe(404);
    await Promise.all([on.stop(), off.stop()]);
  });

  it('refuses an unknown log format', async () => {
    const bad = await runCli(['serve', '--log-format', 'yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--log-format must be one of text, json/);
  });
});
