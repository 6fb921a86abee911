// Issue 10 item 5: every URL serve() lists works unchanged as a client URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { protocolFor } from '../../src/transport/index.js';
import { jsonRpc } from '../../src/transport/jsonrpc/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { xmlRpc } from '../../src/transport/xmlrpc/index.js';

let server: RpcServer;

beforeAll(async () => {
  server = await serve(createDemoService(), {
    host: '127.0.0.1',
    httpPort: 0,
    ports: { jsonrpc: 0, msgpack: 0 },
    logger: { debug() {}, error() {} },
  });
});

afterAll(async () => {
  await server?.close(0);
});

describe('listener URLs are client URLs', () => {
  it('lists one listener per protocol binding (msgpack: one per framing of its port)', () => {
    expect(server.listeners.map((l) => l.protocol).sort()).toEqual([
      'jsonrpc',
      'jsonrpc',
      'msgpack',
      'msgpack',
      'websocket',
      'websocket',
      'xmlrpc',
    ]);
  });

  it.each(['url', 'clientUrl'] as const)(
    'createClient(listener.%s) reaches the listed protocol',
    async (key) => {
      for (const l of server.listeners) {
        const rpc = createClient<DemoService>(l[key]);
        try {
          expect(rpc.$transport.protocol, l[key]).toBe(l.protocol);
          expect(await rpc.add(2, 3), l[key]).toBe(5);
          expect(await rpc.credentials.lookup('Dalek'), l[key]).toBe('Davros');
        } finally {
          await rpc.$close();
        }
      }
    },
  );
});

describe('protocolFor', () => {
  it.each([
    ['http://127.0.0.1:8000/jsonrpc', 'jsonrpc'],
    ['http://127.0.0.1:8000/jsonrpc/', 'jsonrpc'],
    ['https://example.org/jsonrpc', 'jsonrpc'],
    ['jsonrpc+http://127.0.0.1:8000/jsonrpc', 'jsonrpc'],
    ['tcp://127.0.0.1:8001', 'jsonrpc'],
    ['http://127.0.0.1:8000/RPC2', 'xmlrpc'],
    ['http://127.0.0.1:8000/', 'xmlrpc'],
    ['http://127.0.0.1:8000/api/rpc', 'xmlrpc'],
    ['xmlrpc+http://127.0.0.1:8000/jsonrpc', 'xmlrpc'],
    ['msgpack://127.0.0.1:8002', 'msgpack'],
    ['msgpack+bare://127.0.0.1:8002', 'msgpack'],
  ])('%s is %s', (url, name) => {
    expect(protocolFor(new URL(url)).name).toBe(name);
  });

  it('keeps the registered protocol objects for scheme matches', () => {
    expect(protocolFor(new URL('http://h/RPC2'))).toBe(xmlRpc);
    expect(protocolFor(new URL('jsonrpc+http://h/jsonrpc'))).toBe(jsonRpc);
  });
});
