/**
 * What the Unicode rule costs per call (docs/reliability.md): times the codec entry
 * points a call goes through, on typical messages, for the tree given as argument
 * (this checkout by default). Run it on a checkout before the rule and on this one:
 *
 *   node --import tsx bench/unicode-cost.ts [root]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = pathToFileURL(`${resolve(process.argv[2] ?? '.')}/`).href;
const json = await import(`${root}src/transport/jsonrpc/codec.ts`);
const values = await import(`${root}src/transport/msgpack/values.ts`);
const xml = await import(`${root}src/transport/xmlrpc/codec.ts`);
const { defaultLimits } = await import(`${root}src/transport/types.ts`);

const ascii = 'The quick brown fox jumps over the lazy dog. '.repeat(3).slice(0, 100);
const accented = 'Ünïcödé ✓ 漢字 😀 '.repeat(8);
const history = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  room: 'lobby',
  nick: 'amy',
  text: i % 2 ? ascii : accented,
  at: new Date(0),
}));

const cases: [string, () => unknown][] = [];
const frame = (v: unknown): Buffer => values.encodeFrame(v).subarray(4);
const mpAdd = Buffer.from(frame([0, 1, 'add', [3, 5]]));
const mpSend = Buffer.from(frame([0, 2, 'chat.send', ['lobby', ascii, 'amy']]));
const mpSendU = Buffer.from(frame([0, 2, 'chat.send', ['lobby', accented, 'amy']]));
const mpHistory = Buffer.from(frame([1, 3, null, history]));
cases.push(['msgpack decode add(3, 5)', () => values.decodeValue(mpAdd, 64)]);
cases.push(['msgpack decode chat.send (100 ASCII chars)', () => values.decodeValue(mpSend, 64)]);
cases.push(['msgpack decode chat.send (non-ASCII text)', () => values.decodeValue(mpSendU, 64)]);
cases.push(['msgpack decode history reply (100 messages)', () => values.decodeValue(mpHistory, 512)]);
cases.push(['msgpack encode history reply (100 messages)', () => values.encodeFrame([1, 3, null, history])]);
cases.push(['msgpack encode add reply', () => values.encodeFrame([1, 1, null, 8])]);

const jAdd = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"add","params":[3,5]}');
const jSend = Buffer.from(json.requestText(2, { method: 'chat.send', params: ['lobby', accented, 'amy'] }));
cases.push(['jsonrpc decode add(3, 5)', () => json.decodeIncoming(jAdd, defaultLimits)]);
cases.push(['jsonrpc decode chat.send (non-ASCII text)', () => json.decodeIncoming(jSend, defaultLimits)]);
cases.push(['jsonrpc encode add reply', () => json.replyText({ id: 1, ok: true, result: 8 })]);
cases.push([
  'jsonrpc encode history reply (100 messages)',
  () => json.replyText({ id: 1, ok: true, result: history }),
]);

const xAdd = Buffer.from(xml.encodeCall('add', [3, 5]));
const xSend = Buffer.from(xml.encodeCall('chat.send', ['lobby', accented, 'amy']));
cases.push(['xmlrpc decode add(3, 5)', () => xml.decodeCall(xAdd)]);
cases.push(['xmlrpc decode chat.send (non-ASCII text)', () => xml.decodeCall(xSend)]);
cases.push(['xmlrpc encode history result (100 messages)', () => xml.encodeResult(history)]);

// Interleaved rounds, best of 7: the machine is shared, the minimum is the cost.
const best = new Map<string, number>();
for (let round = 0; round < 7; round++) {
  for (const [name, fn] of cases) {
    const n = 20_000;
    for (let i = 0; i < 500; i++) fn();
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ns = Number(process.hrtime.bigint() - t) / n;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, ns));
  }
}
for (const [name, ns] of best) console.log(`${name.padEnd(48)} ${ns.toFixed(0).padStart(8)} ns`);
