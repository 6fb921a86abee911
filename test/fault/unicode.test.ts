/**
 * Issue 11 item 7: invalid Unicode never crosses protocols. Input that is not valid
 * Unicode is -32700 on every protocol (with the id when the message is readable), and
 * nothing the server writes is ill-formed UTF-8, even when a handler makes a lone
 * surrogate. Real sockets; Python's strict msgpack decoder as the peer.
 */

import { isUtf8 } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService } from '../../src/demo/service.js';
import { defineService, param, procedure } from '../../src/rpc/service.js';
import { createClient } from '../../src/sdk/index.js';
import { decodeValue, encodeFrame } from '../../src/transport/msgpack/values.js';
import { runPython } from '../support/python.js';
import { frames, lines, post, type Served, start, xmlCall } from './helpers.js';

const LONE = 'lone \ud800 surrogate';
const demo = createDemoService();
const service = defineService({
  ...demo.tree,
  lone: procedure({
    doc: 'lone() returns a string with a lone surrogate.',
    params: [],
    result: z.string(),
    handler: () => LONE,
  }),
  echoText: procedure({
    doc: 'echoText(s) returns s.',
    params: [param('s', z.string())],
    result: z.string(),
    handler: ({ s }) => s,
  }),
});

let s: Served;
beforeAll(async () => {
  s = await start(service);
});
afterAll(() => s.server.close(1000));

const json = (b: Buffer): { id?: unknown; error?: { code: number }; result?: unknown } =>
  JSON.parse(b.toString());

describe('unicode: invalid text in', () => {
  it('JSON-RPC over TCP: a lone surrogate escape is -32700 with the request id, and nothing is stored', async () => {
    const peer = await lines(s.jsonrpc);
    peer.send('{"jsonrpc":"2.0","id":5,"method":"chat.send","params":["u7","lone \\ud800 surrogate"]}\n');
    const reply = json(await peer.next());
    expect(reply.id).toBe(5);
    expect(reply.error?.code).toBe(-32700);
    peer.send('{"jsonrpc":"2.0","id":6,"method":"chat.history","params":["u7"]}\n');
    expect(json(await peer.next())).toMatchObject({ id: 6, result: [] });
    peer.close();
  });

  it('JSON-RPC over TCP: a lone surrogate in a key or a batch is -32700 (id null for a batch)', async () => {
    const peer = await lines(s.jsonrpc);
    peer.send('{"jsonrpc":"2.0","id":1,"method":"echo","params":[{"\\udfff":1}]}\n');
    expect(json(await peer.next())).toMatchObject({ id: 1, error: { code: -32700 } });
    peer.send('[{"jsonrpc":"2.0","id":2,"method":"echo","params":["\\uDBFF"]}]\n');
    expect(json(await peer.next())).toMatchObject({ id: null, error: { code: -32700 } });
    peer.close();
  });

  it('JSON-RPC: an escaped backslash before "ud800" and an escaped pair are ordinary text', async () => {
    const peer = await lines(s.jsonrpc);
    peer.send('{"jsonrpc":"2.0","id":1,"method":"echo","params":["a\\\\ud800 \\ud83d\\ude00"]}\n');
    expect(json(await peer.next())).toMatchObject({ id: 1, result: 'a\\ud800 😀' });
    peer.close();
  });

  it('JSON-RPC over HTTP: the same -32700 with the id', async () => {
    const body = '{"jsonrpc":"2.0","id":"q","method":"echo","params":["\\ud800"]}';
    const reply = json(await post(s.http, '/jsonrpc', body, 'application/json'));
    expect(reply).toMatchObject({ id: 'q', error: { code: -32700 } });
  });

  it('msgpack: the issue frame (str with ff fe) is -32700 with its msgid, not U+FFFD', async () => {
    const peer = await frames(s.msgpack);
    // The issue prints the length as 0d; the body [0, 7, "echo", ["a\xff\xfeb"]] is 14 bytes.
    peer.send(Buffer.from('0000000e940007a46563686f91a461fffe62', 'hex'));
    const reply = decodeValue(await peer.next(), 64) as unknown[];
    expect(reply[0]).toBe(1);
    expect(reply[1]).toBe(7);
    expect(reply[2]).toMatchObject({ code: -32700 });
    // Invalid UTF-8 in a map key too; and a notification with bad text gets no answer.
    const patch = (value: unknown, from: string, to: number): Buffer => {
      const f = Buffer.from(encodeFrame(value));
      f[f.indexOf(from, 4)] = to;
      return f;
    };
    peer.send(patch([0, 8, 'echo', [{ X: 1 }]], 'X', 0xff));
    peer.send(patch([2, 'echo', ['Y']], 'Y', 0xc0));
    peer.send(encodeFrame([0, 9, 'add', [1, 2]]));
    const next = decodeValue(await peer.next(), 64) as unknown[];
    expect(next.slice(0, 3)).toEqual([1, 8, expect.objectContaining({ code: -32700 })]);
    expect(decodeValue(await peer.next(), 64)).toEqual([1, 9, null, 3]);
    peer.close();
  });

  it('XML-RPC: bytes that are not UTF-8 and references to lone surrogates or controls are -32700', async () => {
    const bad = Buffer.concat([
      Buffer.from(xmlCall('echo', 'a')).subarray(0, -40),
      Buffer.from([0xff, 0xfe]),
    ]);
    const doc = Buffer.from(xmlCall('echo', 'a'));
    const at = doc.indexOf('>a<') + 1;
    const withBytes = Buffer.concat([doc.subarray(0, at), Buffer.from([0xed, 0xa0, 0x80]), doc.subarray(at)]);
    for (const body of [
      withBytes,
      bad,
      xmlCall('echo', '&#xD800;'),
      xmlCall('echo', '&#1;'),
      xmlCall('echo', '&#xFFFE;'),
    ]) {
      const text = (await post(s.http, '/RPC2', body)).toString();
      expect(text).toContain('<name>faultCode</name><value><int>-32700</int>');
    }
  });
});

describe('unicode: nothing ill-formed goes out', () => {
  it('a handler lone surrogate is U+FFFD on JSON-RPC TCP and HTTP, msgpack and XML-RPC', async () => {
    const want = 'lone \ufffd surrogate';
    const tcp = await lines(s.jsonrpc);
    tcp.send('{"jsonrpc":"2.0","id":1,"method":"lone"}\n');
    const line = await tcp.next();
    expect(line.toString()).not.toContain('\\ud800');
    expect(json(line).result).toBe(want);
    tcp.close();

    const viaHttp = await post(
      s.http,
      '/jsonrpc',
      '{"jsonrpc":"2.0","id":1,"method":"lone"}',
      'application/json',
    );
    expect(json(viaHttp).result).toBe(want);

    const mp = await frames(s.msgpack);
    mp.send(encodeFrame([0, 1, 'lone', []]));
    const frame = await mp.next();
    expect(frame.includes(Buffer.from([0xed, 0xa0, 0x80]))).toBe(false);
    expect(decodeValue(frame, 64)).toEqual([1, 1, null, want]);
    mp.close();

    const xml = await post(s.http, '/RPC2', xmlCall('lone'));
    expect(isUtf8(xml)).toBe(true);
    expect(xml.toString()).toContain(`<string>${want}</string>`);
  });

  it('the SDK clients refuse nothing they are sent back: echo of valid text round-trips everywhere', async () => {
    const text = 'tab\there, pair 😀, CJK 漢字, U+FFFD \ufffd';
    for (const url of Object.values(s.urls)) {
      const rpc = createClient<typeof service>(url, { timeout: 5000 });
      expect(await rpc.echoText(text), url).toBe(text);
      await rpc.$close();
    }
  });

  it("Python's strict msgpack decoder reads the reply to a lone surrogate", async () => {
    const script = `
import socket, struct, msgpack
s = socket.create_connection(("127.0.0.1", ${s.msgpack}))
body = msgpack.packb([0, 1, "lone", []])
s.sendall(struct.pack(">I", len(body)) + body)
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise SystemExit("closed")
        b += c
    return b
n = struct.unpack(">I", read(4))[0]
print(msgpack.unpackb(read(n), raw=False)[3])
`;
    const run = await runPython('/usr/bin/python3', ['-c', script], 8000);
    if (run.code !== 0) throw new Error(`python exited ${run.code}: ${run.stderr}`);
    const out = run.stdout;
    expect(out.trim()).toBe('lone \ufffd surrogate');
  });
});
