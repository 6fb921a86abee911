/**
 * The write queue joins small frames, corks large ones and flushes early after a
 * number of small frames; whatever the mix, the peer must read every byte in order.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createWriteQueue } from '../../src/transport/write-queue.js';

const open: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

async function pair(): Promise<{ writer: Socket; received: Promise<Buffer> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const writer = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(writer, 'connect');
  const [reader] = await accepted;
  server.close();
  open.push(writer, reader);
  const parts: Buffer[] = [];
  reader.on('data', (d: Buffer) => parts.push(d));
  const received = once(reader, 'end').then(() => Buffer.concat(parts));
  return { writer, received };
}

const frame = (i: number, size: number): Uint8Array => new Uint8Array(size).fill(i & 0xff);

it('keeps order across joined, early-flushed and corked frames, and flush() before end() loses nothing', async () => {
  const { writer, received } = await pair();
  const out = createWriteQueue(writer);
  const sizes = [10, 20, 70_000, 5, ...Array.from({ length: 40 }, () => 30), 200_000, 1, 2];
  const expected = Buffer.concat(sizes.map((n, i) => frame(i, n)));
  sizes.forEach((n, i) => {
    out.write(frame(i, n));
  });
  await new Promise((r) => setImmediate(r));
  // A second tick: small frames only, then end in the same tick.
  for (let i = 0; i < 20; i++) out.write(frame(100 + i, 7));
  out.flush();
  writer.end();
  const tail = Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(100 + i, 7)));
  expect((await received).equals(Buffer.concat([expected, tail]))).toBe(true);
});

it('counts queued bytes as buffered until they reach the socket', async () => {
  const { writer } = await pair();
  const out = createWriteQueue(writer);
  out.write(frame(1, 100));
  out.write(frame(2, 100));
  expect(out.buffered).toBeGreaterThanOrEqual(200);
  await new Promise((r) => setImmediate(r));
  expect(out.buffered).toBe(writer.writableLength);
});
