/**
 * Authentication with a client nobody here wrote: jayson's HTTP client sending its own
 * Authorization header (Bearer, and Basic with the token as the password) to our
 * JSON-RPC over HTTP, and refused with HTTP 401 without it.
 */
import jayson from 'jayson/promise/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { createTokenAuthenticator } from '../../src/rpc/auth.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const TOKEN = 'jayson-interop-token';
let server: RpcServer;
let port: number;

beforeAll(async () => {
  server = await serve(createDemoService(), {
    httpPort: 0,
    ports: { jsonrpc: null, msgpack: null },
    explorer: false,
    authenticate: createTokenAuthenticator(TOKEN),
  });
  port = Number(new URL(server.listeners.find((l) => l.protocol === 'jsonrpc')!.url).port);
});
afterAll(() => server.close(0));

const client = (headers: Record<string, string>) =>
  jayson.Client.http({ host: '127.0.0.1', port, path: '/jsonrpc', headers });

describe('jayson HTTP client → our server with a token', () => {
  it('calls with a Bearer header', async () => {
    const res = await client({ Authorization: `Bearer ${TOKEN}` }).request('add', [2, 3]);
    expect(res).toMatchObject({ jsonrpc: '2.0', result: 5 });
  });

  it('calls with Basic, any user name and the token as the password', async () => {
    const basic = Buffer.from(`jayson:${TOKEN}`).toString('base64');
    const res = await client({ Authorization: `Basic ${basic}` }).request('hypotenuse', { a: 3, b: 4 });
    expect(res).toMatchObject({ result: 5 });
  });

  it('is refused with HTTP 401 without a credential or with a wrong one', async () => {
    const expected: [Record<string, string>, RegExp][] = [
      [{}, /authentication required/],
      [{ Authorization: 'Bearer wrong' }, /authentication failed/],
    ];
    for (const [headers, message] of expected) {
      const err = (await client(headers)
        .request('add', [1, 1])
        .then(
          () => undefined,
          (e: unknown) => e,
        )) as { code?: number; message?: string } | undefined;
      expect(err, JSON.stringify(headers)).toBeDefined();
      // jayson reports a non-200 answer as an Error with the response body as its message.
      expect(err?.message, JSON.stringify(headers)).toMatch(message);
    }
  });
});
