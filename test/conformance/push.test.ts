/**
 * Conformance, server push: on every endpoint whose client transport can subscribe,
 * events arrive in order, a `break` unsubscribes, and the server notices a client
 * that goes away; on the others a subscription is a clear error naming the
 * procedure to poll instead.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Code, createClient } from '../../src/index.js';
import type { Client } from '../../src/sdk/types.js';
import { type ConformanceService, endpointsOf, failure, liveIn, startServer } from './endpoints.js';

const { server, stats } = await startServer();
const endpoints = endpointsOf(server);
const clients: Client<ConformanceService>[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$close()));
  await server.close(1000);
});

const connect = (url: string): Client<ConformanceService> => {
  const rpc = createClient<ConformanceService>(url, { timeout: 5000 });
  clients.push(rpc);
  return rpc;
};

/** A client on the first endpoint, to publish from. */
const sender = connect(endpoints[0]!.url);

describe.each(endpoints)('conformance: push on $name', (ep) => {
  const rpc = connect(ep.url);

  if (!ep.push) {
    it('refuses a subscription with -32001 naming the procedure to poll', async () => {
      const err = await failure(rpc.chat.subscribe(`push-${ep.url}`).ready);
      expect(err.code).toBe(Code.Unsupported);
      expect(err.message).toContain('chat.history');
    });
    return;
  }

  it('pushes chat messages in the order they were sent', async () => {
    const room = `push-${ep.url}`;
    const sub = rpc.chat.subscribe(room);
    await sub.ready;
    await sender.chat.send(room, 'one', 'a');
    await sender.chat.send(room, 'two', 'b');
    const got: string[] = [];
    for await (const m of sub) {
      got.push(`${m.nick}:${m.text}`);
      if (got.length === 2) break;
    }
    expect(got).toEqual(['a:one', 'b:two']);
  });

  it('delivers a stream of events in order, then its end', async () => {
    const got: number[] = [];
    for await (const n of rpc.count(500)) got.push(n);
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('keeps two subscriptions on one connection apart', async () => {
    const [a, b] = [rpc.chat.subscribe(`two-a-${ep.url}`), rpc.chat.subscribe(`two-b-${ep.url}`)];
    await Promise.all([a.ready, b.ready]);
    await sender.chat.send(`two-b-${ep.url}`, 'to b');
    await sender.chat.send(`two-a-${ep.url}`, 'to a');
    expect((await a.next()).value?.text).toBe('to a');
    expect((await b.next()).value?.text).toBe('to b');
    await Promise.all([a.close(), b.close()]);
  });

  it('a break unsubscribes: the server releases the subscriber', async () => {
    const room = `break-${ep.url}`;
    const sub = rpc.chat.subscribe(room);
    await sub.ready;
    expect(liveIn(stats, room)).toBe(1);
    await sender.chat.send(room, 'only');
    for await (const m of sub) {
      expect(m.text).toBe('only');
      break;
    }
    await vi.waitFor(() => expect(liveIn(stats, room)).toBe(0), { timeout: 1500 });
    // The connection carries on.
    expect(await rpc.add(2, 2)).toBe(4);
  });

  it('the server notices a client that closes with a live subscription', async () => {
    const leaving = createClient<ConformanceService>(ep.url, { timeout: 5000 });
    const room = `quiet-${ep.url}`;
    const subs = [leaving.chat.subscribe(room), leaving.chat.subscribe(room)];
    await Promise.all(subs.map((s) => s.ready));
    expect(liveIn(stats, room)).toBe(2);
    await leaving.$close();
    // A quiet room: nothing is pushed that could reveal the peer is gone.
    await vi.waitFor(() => expect(liveIn(stats, room)).toBe(0), { timeout: 1500 });
  });
});
