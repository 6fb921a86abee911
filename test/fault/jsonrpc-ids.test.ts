/**
 * Issue 11 item 8: a numeric JSON-RPC id comes back as the client wrote it, or the
 * request is refused as invalid (-32600, id null). `1e400` parses to Infinity and
 * 9007199254740993 to 9007199254740992: neither could be echoed, so both are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoService } from '../../src/demo/service.js';
import { lines, post, type Served, start } from './helpers.js';

let s: Served;
beforeAll(async () => {
  s = await start(createDemoService());
});
afterAll(() => s.server.close(1000));

// id as written → the raw text the reply's id must be, or null for a refusal.
const IDS: readonly [string, string | null][] = [
  ['1e400', null],
  ['-1e400', null],
  ['9007199254740993', null],
  ['9007199254740992', null],
  ['-9007199254740993', null],
  ['18446744073709551616', null],
  ['9007199254740991', '9007199254740991'],
  ['-9007199254740991', '-9007199254740991'],
  ['0', '0'],
  ['-0', '0'],
  ['42', '42'],
  ['1.5', '1.5'],
  ['0.1', '0.1'],
  ['1e3', '1000'],
  ['"1e400"', '"1e400"'],
];

const request = (id: string): string => `{"jsonrpc":"2.0","id":${id},"method":"add","params":[2,3]}`;
const idText = (line: Buffer): string => /"id":([^,]*),/.exec(line.toString())![1]!;

describe('JSON-RPC numeric ids', () => {
  it('over TCP: echoed exactly when they survive a double, else -32600 with id null', async () => {
    const peer = await lines(s.jsonrpc);
    for (const [id, echoed] of IDS) {
      peer.send(`${request(id)}\n`);
      const line = await peer.next();
      const reply = JSON.parse(line.toString()) as { result?: number; error?: { code: number } };
      if (echoed === null) {
        expect(idText(line), id).toBe('null');
        expect(reply.error?.code, id).toBe(-32600);
      } else {
        expect(idText(line), id).toBe(echoed);
        expect(reply.result, id).toBe(5);
      }
    }
    peer.close();
  });

  it('over HTTP: the same rule', async () => {
    for (const [id, echoed] of IDS) {
      const body = await post(s.http, '/jsonrpc', request(id), 'application/json');
      expect(idText(body), id).toBe(echoed ?? 'null');
    }
  });

  it('in a batch: only the entry with the bad id is refused', async () => {
    const peer = await lines(s.jsonrpc);
    peer.send(`[${request('1e400')},${request('7')}]\n`);
    const replies = JSON.parse((await peer.next()).toString()) as {
      id: unknown;
      result?: number;
      error?: unknown;
    }[];
    expect(replies).toHaveLength(2);
    expect(replies).toContainEqual(expect.objectContaining({ id: 7, result: 5 }));
    expect(replies).toContainEqual(
      expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32600 }) }),
    );
    peer.close();
  });
});
