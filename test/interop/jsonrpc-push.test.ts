/**
 * Server push over JSON-RPC/TCP: two subscribers, a third client sends over XML-RPC;
 * each subscriber gets every message once, in order. Plus the raw wire exchange
 * that docs/jsonrpc.md documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';
import { connectLines } from '../transport/jsonrpc/lines.js';

let server: RpcServer;
let tcpUrl: string;
let senderUrl: string;

beforeAll(async () => {
  server = await serve(createDemoService(), { httpPort: 0, ports: { jsonrpc: 0, msgpack: null } });
  const tcp = server.listeners.find((l) => l.protocol === 'jsonrpc' && l.url.startsWith('tcp:'));
  const xml = server.listeners.find((l) => l.protocol === 'xmlrpc');
  tcpUrl = tcp!.url;
  senderUrl = xml!.clientUrl;
});

afterAll(() => server.close(1000));

describe('jsonrpc push', () => {
  it('delivers each message once, in order, to two subscribers', async () => {
    const room = 'tardis';
    const a = createClient<DemoService>(tcpUrl);
    const b = createClient<DemoService>(tcpUrl);
    const sender = createClient<DemoService>(senderUrl);
    expect(sender.$transport.protocol).toBe('xmlrpc');
    try {
      const subs = [a.chat.subscribe(room), b.chat.subscribe(room)];
      await Promise.all(subs.map((s) => s.ready));
      const texts = ['one', 'two', 'three'];
      for (const text of texts) await sender.chat.send(room, text, 'doctor');
      for (const sub of subs) {
        const got: { text: string; id: number; nick: string }[] = [];
        for await (const m of sub) {
          got.push(m);
          if (got.length === texts.length) break; // break unsubscribes
        }
        expect(got.map((m) => m.text)).toEqual(texts);
        expect(got.map((m) => m.nick)).toEqual(['doctor', 'doctor', 'doctor']);
        expect(got[1]!.id).toBeGreaterThan(got[0]!.id);
      }
    } finally {
      await Promise.all([a.$close(), b.$close(), sender.$close()]);
    }
  });

  it('follows the documented wire format: subscribe, rpc.event, rpc.unsubscribe', async () => {
    const port = Number(new URL(tcpUrl).port);
    const sock = await connectLines(port);
    try {
      sock.send('{"jsonrpc":"2.0","id":1,"method":"chat.subscribe","params":["wire"]}');
      const subscribed = JSON.parse(await sock.next()) as { id: number; result: number };
      expect(subscribed.id).toBe(1);
      expect(typeof subscribed.result).toBe('number');
      const sub = subscribed.result;

      sock.send(
        '{"jsonrpc":"2.0","id":2,"method":"chat.send","params":{"room":"wire","text":"hi","nick":"amy"}}',
      );
      const lines = [JSON.parse(await sock.next()), JSON.parse(await sock.next())] as Record<
        string,
        unknown
      >[];
      const event = lines.find((l) => l.method === 'rpc.event');
      const reply = lines.find((l) => l.id === 2);
      expect(reply).toMatchObject({ jsonrpc: '2.0', result: { room: 'wire', text: 'hi', nick: 'amy' } });
      expect(event).toEqual({
        jsonrpc: '2.0',
        method: 'rpc.event',
        params: [
          sub,
          { id: expect.any(Number), room: 'wire', nick: 'amy', text: 'hi', at: expect.any(String) },
          expect.any(Number), // the event id (issue 15): the message id, to resume after
        ],
      });
      const params = event!.params as [number, { id: number }, number];
      expect(params[2]).toBe(params[1].id);
      expect(Object.hasOwn(event!, 'id')).toBe(false);
      expect(new Date((event!.params as [number, { at: string }])[1].at).toISOString()).toBe(
        (event!.params as [number, { at: string }])[1].at,
      );

      sock.send(`{"jsonrpc":"2.0","id":3,"method":"rpc.unsubscribe","params":[${sub}]}`);
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 3, result: true });
      // After unsubscribing, a new message produces only the reply to the send.
      sock.send('{"jsonrpc":"2.0","id":4,"method":"chat.send","params":["wire","again"]}');
      expect(JSON.parse(await sock.next())).toMatchObject({ id: 4 });
      sock.send('{"jsonrpc":"2.0","id":5,"method":"add","params":[1,1]}');
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 5, result: 2 });
      sock.send(`{"jsonrpc":"2.0","id":6,"method":"rpc.unsubscribe","params":[${sub}]}`);
      expect(JSON.parse(await sock.next())).toEqual({ jsonrpc: '2.0', id: 6, result: false });
    } finally {
      sock.close();
    }
  });
});
