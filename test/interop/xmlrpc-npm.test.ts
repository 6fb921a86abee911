/**
 * XML-RPC against the npm `xmlrpc` package, both directions: its client calling our
 * server, and our client calling its server.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import xmlrpc from 'xmlrpc';
import { UNKNOWN_SPECIES } from '../../src/demo/service.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import { TransportError } from '../../src/transport/errors.js';
import type { ClientTransport } from '../../src/transport/types.js';
import { xmlRpc } from '../../src/transport/xmlrpc/index.js';
import { closeServer, startServer } from '../transport/xmlrpc/helpers.js';

// npm xmlrpc writes and reads dateTime in local time; pin it to UTC (the wire has no zone).
xmlrpc.dateFormatter.setOpts({ local: false });

interface FaultLike {
  faultCode?: number;
  faultString?: string;
}

describe('npm xmlrpc client → our server', () => {
  let server: http.Server;
  let client: xmlrpc.Client;

  const call = (method: string, params: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      client.methodCall(method, params, (err: unknown, value: unknown) =>
        err ? reject(err) : resolve(value),
      );
    });

  beforeAll(async () => {
    const started = await startServer();
    server = started.server;
    client = xmlrpc.createClient({ host: '127.0.0.1', port: started.port, path: '/RPC2' });
  });
  afterAll(() => closeServer(server));

  it('calls add, hypotenuse and credentials.lookup', async () => {
    expect(await call('add', [3, 5])).toBe(8);
    expect(await call('hypotenuse', [3, 4])).toBe(5);
    expect(await call('credentials.lookup', ['Time Lord'])).toBe('Rassilon');
  });

  it('receives faults with code and string', async () => {
    const err = (await call('credentials.lookup', ['Tardis']).catch((e: unknown) => e)) as FaultLike;
    expect(err.faultCode).toBe(UNKNOWN_SPECIES);
    expect(err.faultString).toBe('Unknown species: Tardis');
    const missing = (await call('nope', []).catch((e: unknown) => e)) as FaultLike;
    expect(missing.faultCode).toBe(Code.MethodNotFound);
  });

  it('round-trips its types through echo', async () => {
    const value = {
      int: -12,
      double: 1.25,
      bool: true,
      text: 'ünïcode ☃ & <tags>',
      nil: null,
      when: new Date(Date.UTC(2020, 5, 15, 8, 30, 0)),
      bytes: Buffer.from([0, 1, 2, 250]),
      list: [1, ['nested'], { k: 'v' }],
    };
    const back = (await call('echo', [value])) as Record<string, unknown>;
    expect(back).toEqual({ ...value, bytes: expect.anything() });
    expect(Buffer.compare(back.bytes as Buffer, value.bytes)).toBe(0);
  });

  it('calls system.multicall and introspection', async () => {
    const results = (await call('system.multicall', [
      [
        { methodName: 'add', params: [2, 2] },
        { methodName: 'credentials.lookup', params: ['Nobody'] },
      ],
    ])) as unknown[];
    expect(results[0]).toEqual([4]);
    expect(results[1]).toEqual({ faultCode: UNKNOWN_SPECIES, faultString: 'Unknown species: Nobody' });
    expect(await call('system.listMethods', [])).toEqual(expect.arrayContaining(['add', 'echo']));
  });
});

describe('our client → npm xmlrpc server', () => {
  let server: xmlrpc.Server;
  let client: ClientTransport;

  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = xmlrpc.createServer({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    type Reply = (error: unknown, value?: unknown) => void;
    server.on('add', (_err: unknown, params: number[], reply: Reply) => reply(null, params[0]! + params[1]!));
    server.on('echo', (_err: unknown, params: unknown[], reply: Reply) => reply(null, params[0]));
    server.on('credentials.lookup', (_err: unknown, params: string[], reply: Reply) =>
      params[0] === 'Time Lord'
        ? reply(null, 'Rassilon')
        : reply({ faultCode: UNKNOWN_SPECIES, faultString: `Unknown species: ${params[0]}` }),
    );
    const port = (server.httpServer.address() as AddressInfo).port;
    client = xmlRpc.createTransport(new URL(`http://127.0.0.1:${port}/RPC2`), {});
  });
  afterAll(async () => {
    await client.close();
    await closeServer(server.httpServer);
  });

  it('calls its methods', async () => {
    expect(await client.call({ method: 'add', params: [3, 5] })).toBe(8);
    expect(await client.call({ method: 'credentials.lookup', params: ['Time Lord'] })).toBe('Rassilon');
  });

  it('maps its faults to RpcError', async () => {
    const err = (await client
      .call({ method: 'credentials.lookup', params: ['Tardis'] })
      .catch((e: unknown) => e)) as RpcError;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(UNKNOWN_SPECIES);
    expect(err.message).toBe('Unknown species: Tardis');
  });

  it('round-trips our types through its echo', async () => {
    const value = {
      int: 2147483647,
      double: -0.5,
      bool: false,
      text: 'a & b < c > d ☃',
      nil: null,
      when: new Date(Date.UTC(2021, 0, 1, 0, 0, 1)),
      bytes: new Uint8Array([7, 7, 7]),
      list: [[], {}, [1, 'x']],
    };
    expect(await client.call({ method: 'echo', params: [value] })).toEqual(value);
  });

  it('reports its 404 for an unknown method (it has no system.multicall) as an HTTP TransportError', async () => {
    const err = (await client.batch!([{ method: 'add', params: [1, 2] }]).catch(
      (e: unknown) => e,
    )) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.reason).toBe('http');
    expect(err.status).toBe(404);
  });
});
