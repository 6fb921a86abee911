/**
 * XML-RPC against CPython (/usr/bin/python3), both directions: xmlrpc.client.ServerProxy
 * calling our server, and our client calling SimpleXMLRPCServer.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_SPECIES } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import type { ClientTransport } from '../../src/transport/types.js';
import { xmlRpc } from '../../src/transport/xmlrpc/index.js';
import { closeServer, startServer } from '../transport/xmlrpc/helpers.js';

const PYTHON = '/usr/bin/python3';
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function runPython(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [script, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('Python xmlrpc.client → our server', () => {
  let server: http.Server;
  let report: Record<string, unknown>;

  beforeAll(async () => {
    const started = await startServer();
    server = started.server;
    report = JSON.parse(await runPython(fixture('xmlrpc-python-client.py'), [started.url])) as Record<
      string,
      unknown
    >;
  });
  afterAll(() => closeServer(server));

  it('calls add, hypotenuse and credentials.lookup', () => {
    expect(report.add).toBe(8);
    expect(report.add_i8).toBe(2 ** 31);
    expect(report.hypotenuse).toBe(5); // Python: hypotenuse(3, 4) == 5.0
    expect(report.hypotenuse_type).toBe('float');
    expect(report.lookup).toBe('Rassilon');
  });

  it('sees an unknown species as Fault 404', () => {
    expect(report.unknown).toEqual([UNKNOWN_SPECIES, 'Unknown species: Tardis']);
  });

  it('round-trips every type through echo with allow_none and use_builtin_types', () => {
    expect(report.echo_equal).toBe(true);
    expect(report.echo_types).toEqual({
      bytes: 'bytes',
      double: 'float',
      empty: 'str',
      false: 'bool',
      int: 'int',
      list: 'list',
      negative: 'int',
      none: 'NoneType',
      struct: 'dict',
      text: 'str',
      true: 'bool',
      when: 'datetime',
    });
    expect(report.echo_scalars).toEqual(new Array(12).fill(true));
  });

  it('runs MultiCall', () => {
    expect(report.multicall).toEqual([
      ['ok', 3],
      ['fault', UNKNOWN_SPECIES, 'Unknown species: Nobody'],
      ['ok', 10],
    ]);
  });

  it('runs examples/python-xmlrpc-client.py --check', async () => {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/RPC2`;
    const script = fileURLToPath(new URL('../../examples/python-xmlrpc-client.py', import.meta.url));
    const out = await runPython(script, [url, '--check']);
    expect(out.trim().split('\n')).toEqual([
      'ok add',
      'ok hypotenuse',
      'ok credentials.lookup',
      'ok fault 404',
      'ok echo',
      'ok multicall',
      'ok system.listMethods',
    ]);
  });

  it('introspects', () => {
    expect(report.methods).toEqual(
      expect.arrayContaining(['add', 'hypotenuse', 'credentials.lookup', 'echo']),
    );
    expect(report.signature).toEqual([
      ['int', 'int', 'int'],
      ['double', 'double', 'double'],
    ]);
    expect(report.help).toMatch(/add\(a, b\)/);
    const sub = report.subscribe as [number, string];
    expect(sub[0]).toBe(Code.Unsupported);
    expect(sub[1]).toContain('chat.history');
  });
});

describe('our client → Python SimpleXMLRPCServer', () => {
  let child: ChildProcess;
  let client: ClientTransport;

  beforeAll(async () => {
    child = spawn(PYTHON, [fixture('xmlrpc-python-server.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('python server did not print its port')), 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0]!;
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(Number(line));
        }
      });
      child.on('exit', (code) => reject(new Error(`python server exited with ${code}`)));
    });
    expect(port).toBeGreaterThan(0);
    client = xmlRpc.createTransport(new URL(`http://127.0.0.1:${port}/RPC2`), {});
  });
  afterAll(async () => {
    await client?.close();
    child?.kill();
  });

  it('calls functions and maps Fault to RpcError', async () => {
    expect(await client.call({ method: 'add', params: [3, 5] })).toBe(8);
    expect(await client.call({ method: 'credentials.lookup', params: ['Time Lord'] })).toBe('Rassilon');
    const err = await client
      .call({ method: 'credentials.lookup', params: ['Tardis'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(UNKNOWN_SPECIES);
    expect((err as RpcError).message).toBe('Unknown species: Tardis');
  });

  it('sends every type as the Python type it should be', async () => {
    const cases: [unknown, string][] = [
      [7, 'int'],
      [2 ** 40, 'int'],
      [2n ** 62n, 'int'],
      [0.5, 'float'],
      [true, 'bool'],
      ['s ☃ & <', 'str'],
      [null, 'NoneType'],
      [new Date(Date.UTC(2024, 1, 29, 12, 0, 1)), 'datetime'],
      [new Uint8Array([9, 8, 7]), 'bytes'],
      [[1, [2]], 'list'],
      [{ a: { b: null } }, 'dict'],
    ];
    for (const [value, type] of cases) {
      expect(await client.call({ method: 'typeof', params: [value] })).toBe(type);
      if (typeof value !== 'bigint' && value !== 2 ** 40)
        expect(await client.call({ method: 'echo', params: [value] })).toEqual(value);
    }
    // Python reads i8 but cannot write it back (OverflowError), so check big integers by their text.
    expect(await client.call({ method: 'str', params: [2 ** 40] })).toBe('1099511627776');
    expect(await client.call({ method: 'str', params: [2n ** 62n] })).toBe(String(2n ** 62n));
  });

  it('introspects and batches through system.multicall', async () => {
    const methods = (await client.call({ method: 'system.listMethods', params: [] })) as string[];
    expect(methods).toEqual(expect.arrayContaining(['add', 'echo', 'system.multicall']));
    const settled = await client.batch!([
      { method: 'add', params: [2, 3] },
      { method: 'credentials.lookup', params: ['Nobody'] },
      { method: 'echo', params: [[true, null]] },
    ]);
    expect(settled[0]).toEqual({ ok: true, value: 5 });
    expect(settled[1]?.ok === false && settled[1].error.code).toBe(UNKNOWN_SPECIES);
    expect(settled[2]).toEqual({ ok: true, value: [true, null] });
  });

  it('maps a missing method to the fault Python sends', async () => {
    const err = (await client.call({ method: 'nope', params: [] }).catch((e: unknown) => e)) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.message).toContain('nope');
  });
});
