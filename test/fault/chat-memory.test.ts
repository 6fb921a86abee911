/**
 * Issue 11 item 2: one client must not run the server out of memory through the chat.
 * The load (msgpack `chat.send(room i of 700, 'm' × 4096)` in a loop), bounded
 * here, against a broker with a small budget: the accounted bytes stay under it, the
 * newest messages survive and history answers what is left. A child process with
 * `--expose-gc` checks the heap itself: stored texts decoded from big XML-RPC
 * documents do not keep those documents alive.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBroker, messageBytes } from '../../src/demo/broker.js';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { createClient } from '../../src/sdk/index.js';
import { decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { frames, type Served, start } from './helpers.js';

const MAX_BYTES = 4 * 1024 * 1024;
const broker = createMemoryBroker({ idBase: 0, maxBytes: MAX_BYTES });
let s: Served;
beforeAll(async () => {
  s = await start(createDemoService({ broker }));
});
afterAll(() => s.server.close(1000));

const TEXT = 'm'.repeat(4096);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('chat memory budget', () => {
  it('the issue load over msgpack (4,000 sends of 4 KiB in 700 rooms) stays within the budget', async () => {
    const peer = await frames(s.msgpack);
    const total = 4000;
    const window = 200;
    let sent = 0;
    let answered = 0;
    const deadline = Date.now() + 8000;
    while (answered < total && Date.now() < deadline) {
      while (sent < total && sent - answered < window) {
        peer.send(encodeFrame([0, sent, 'chat.send', [`room${sent % 700}`, TEXT]]));
        sent++;
      }
      const reply = decodeValue(await peer.next(5000), 64) as unknown[];
      expect(reply[2]).toBeNull();
      answered++;
    }
    peer.close();
    expect(answered).toBe(total);
    const one = messageBytes({ text: TEXT, nick: 'anonymous' });
    expect(total * one).toBeGreaterThan(6 * MAX_BYTES); // the load is well past the budget
    const { bytes, messages } = broker.stats();
    expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(messages).toBe(Math.floor(MAX_BYTES / one));
    // History answers what it still has, over another protocol: the newest message.
    const rpc = createClient<DemoService>(s.urls.xmlrpc, { timeout: 5000 });
    const last = await rpc.chat.history(`room${(total - 1) % 700}`, 0, 1000);
    expect(last.at(-1)?.id).toBe(Math.ceil(total / 700));
    expect(await rpc.chat.history(`room${(total - messages - 1) % 700}`, 0, 1000)).toEqual([]);
    await rpc.$close();
  }, 10_000);

  // 40 documents of ~1 MiB, each with one short string kept: before the decoder and the
  // broker copied such strings, each kept its whole document (about 40 MiB in all).
  const heapGrowth = async (keep: string): Promise<{ grown: number; kept: number }> => {
    const script = `
      import v8 from 'node:v8';
      import { createMemoryBroker } from './src/demo/broker.ts';
      import { decodeCall } from './src/transport/xmlrpc/codec.ts';
      const used = () => { globalThis.gc(); return v8.getHeapStatistics().used_heap_size; };
      const b = createMemoryBroker({ idBase: 0 });
      const kept = [];
      const before = used();
      for (let i = 0; i < 40; i++) {
        const doc = '<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params>'
          + '<param><value><string>hello, this is message number ' + i + '</string></value></param>'
          + '<param><value>' + 'x'.repeat(1 << 20) + '</value></param></params></methodCall>';
        const [text] = decodeCall(Buffer.from(doc)).params;
        ${keep}
      }
      console.log(JSON.stringify({ grown: used() - before, kept: kept.length + b.stats().messages }));
    `;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, timeout: 8000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    return JSON.parse(out) as { grown: number; kept: number };
  };

  it('strings decoded from big XML-RPC documents do not keep the documents alive (heap, child process)', async () => {
    const { grown, kept } = await heapGrowth('kept.push(text);');
    expect(kept).toBe(40);
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  }, 10_000);

  it('nor do chat messages stored from them', async () => {
    const { grown, kept } = await heapGrowth(
      "await b.publish({ room: 'r', nick: 'n', text, at: new Date() });",
    );
    expect(kept).toBe(40);
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  }, 10_000);
});
