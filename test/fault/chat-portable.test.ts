/**
 * Issue 11 item 4: one chat message must not break `chat.history` over XML-RPC for a
 * whole room. Text XML 1.0 cannot carry (C0 controls other than tab, LF and CR;
 * U+FFFE, U+FFFF) and lone surrogates are refused at `chat.send` with -32602 on every
 * protocol, so whatever is stored can be read back over any of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { RpcError } from '../../src/rpc/errors.js';
import { createClient, createInProcessTransport } from '../../src/sdk/index.js';
import { lines, post, type Served, start, xmlCall } from './helpers.js';

const service = createDemoService();
let s: Served;
beforeAll(async () => {
  s = await start(service);
});
afterAll(() => s.server.close(1000));

// Every character XML 1.0 cannot carry, one per message.
const UNCARRIABLE = [
  ...Array.from({ length: 32 }, (_, c) => c).filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d),
  0xfffe,
  0xffff,
].map((c) => String.fromCharCode(c));

const code = async (p: PromiseLike<unknown>): Promise<number> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e.code;
    throw e;
  }
  return 0;
};

describe('chat text every protocol can carry', () => {
  it('refuses every XML-uncarriable character in text, nick and room over JSON-RPC and msgpack (-32602)', async () => {
    for (const url of [s.urls.jsonrpc, s.urls['jsonrpc+http'], s.urls.msgpack]) {
      const rpc = createClient<DemoService>(url, { timeout: 5000 });
      for (const ch of UNCARRIABLE) {
        expect(await code(rpc.chat.send('portable', `a${ch}b`)), `${url} U+${ch.charCodeAt(0)}`).toBe(-32602);
      }
      expect(await code(rpc.chat.send('portable', 'ok', `n${UNCARRIABLE[0]}`))).toBe(-32602);
      expect(await code(rpc.chat.send(`r${UNCARRIABLE[0]}`, 'ok'))).toBe(-32602);
      await rpc.$close();
    }
  });

  it('refuses a lone surrogate that bypasses the wire (in-process) too', async () => {
    const rpc = createClient<DemoService>(createInProcessTransport(service));
    expect(await code(rpc.chat.send('portable', 'lone \ud800'))).toBe(-32602);
  });

  it('keeps tab, LF, CR, pairs and other controls XML can carry (U+007F, U+0085)', async () => {
    const rpc = createClient<DemoService>(s.urls.msgpack, { timeout: 5000 });
    const text = 'tab\tLF\nCR\r 😀 \u007f \u0085 \ufffd';
    expect((await rpc.chat.send('portable', text)).text).toBe(text);
    await rpc.$close();
  });

  it('after all of that, every XML-RPC chat.history page of the room answers, and so does the CLI poller path', async () => {
    const peer = await lines(s.jsonrpc);
    // The exact message, raw over JSON-RPC: refused, not stored.
    peer.send('{"jsonrpc":"2.0","id":1,"method":"chat.send","params":["portable","a\\u0001b"]}\n');
    expect(JSON.parse((await peer.next()).toString())).toMatchObject({ id: 1, error: { code: -32602 } });
    peer.close();
    const xml = createClient<DemoService>(s.urls.xmlrpc, { timeout: 5000 });
    const history = await xml.chat.history('portable', 0, 1000);
    expect(history.map((m) => m.text)).toEqual(['tab\tLF\nCR\r 😀 \u007f \u0085 \ufffd']);
    await xml.$close();
    const body = (await post(s.http, '/RPC2', xmlCall('chat.history', 'portable'))).toString();
    expect(body).not.toContain('<fault>');
  });
});
