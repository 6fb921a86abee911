/**
 * Issue 15, without sockets (the in-process pair): `rpc.ping` is answered by the
 * session and never reaches middleware; `rpc.resubscribe` reaches middleware as the
 * subscription itself and runs its handler with `ctx.resumeAfter`; a subscription
 * without `eventId` cannot resume (-32002); events carry their ids on the wire.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDemoService, createMemoryBroker } from '../../src/demo/index.js';
import {
  Code,
  type Context,
  createClient,
  createInProcessTransport,
  defineService,
  param,
  procedure,
  RpcError,
  subscription,
} from '../../src/index.js';
import { createRegistry } from '../../src/rpc/registry.js';

const seen: string[] = [];
const resumes: unknown[] = [];

const service = defineService({
  add: procedure({
    doc: 'add',
    params: [param('a', z.number()), param('b', z.number())],
    result: z.number(),
    handler: ({ a, b }) => a + b,
  }),
  numbers: subscription({
    doc: 'numbers(from) pushes {n} for n = from+1.. from+3, resuming after ctx.resumeAfter',
    params: [param('from', z.number().int())],
    event: z.object({ n: z.number() }),
    eventId: (e) => e.n,
    handler: async function* ({ from }, ctx: Context) {
      resumes.push(ctx.resumeAfter);
      const start = typeof ctx.resumeAfter === 'number' ? ctx.resumeAfter : from;
      for (let n = start + 1; n <= start + 3; n++) yield { n };
    },
  }),
  plain: subscription({
    doc: 'plain() pushes 1 and ends; its events have no ids',
    params: [],
    event: z.number(),
    handler: async function* () {
      yield 1;
    },
  }),
});

const registry = createRegistry(service, {
  middleware: [
    async (call, _ctx, next) => {
      seen.push(call.method);
      return next();
    },
  ],
});

describe('issue 15: the session and dispatch side', () => {
  it('answers rpc.ping itself, out of reach of middleware', async () => {
    const transport = createInProcessTransport(registry);
    seen.length = 0;
    expect(await transport.call({ method: 'rpc.ping', params: [] })).toBe(true);
    expect(seen).toEqual([]);
    await transport.close();
  });

  it('runs rpc.resubscribe as the subscription, with ctx.resumeAfter', async () => {
    const transport = createInProcessTransport(registry);
    seen.length = 0;
    resumes.length = 0;
    const sub = transport.subscribe!({ method: 'rpc.resubscribe', params: ['numbers', [0], 10] });
    const got: unknown[] = [];
    for await (const e of sub) got.push(e);
    expect(got).toEqual([{ n: 11 }, { n: 12 }, { n: 13 }]);
    expect(seen).toEqual(['numbers']);
    expect(resumes).toEqual([10]);
    await transport.close();
  });

  it('refuses to resume a subscription whose events have no ids, with -32002', async () => {
    const transport = createInProcessTransport(registry);
    const err = await transport.subscribe!({
      method: 'rpc.resubscribe',
      params: ['plain', [], null],
    }).ready.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).code).toBe(Code.EventsLost);
    expect((err as RpcError).data).toEqual({ reason: 'not-resumable' });
    await transport.close();
  });

  it('a typed client exposes the connection state', async () => {
    const rpc = createClient<typeof service>(createInProcessTransport(registry));
    expect(rpc.$state).toBe('connecting');
    const states: string[] = [];
    const stop = rpc.$onState((s) => states.push(s));
    expect(await rpc.add(1, 2)).toBe(3);
    expect(rpc.$state).toBe('open');
    stop();
    await rpc.$close();
    expect(rpc.$state).toBe('closed');
    expect(states).toEqual(['open']);
  });
});

describe('issue 15: overflow', () => {
  it('a subscriber that overflows the broker queue gets EventsLost and resumes by itself, missing nothing', async () => {
    const broker = createMemoryBroker({ subscriberBuffer: 4, idBase: 0 });
    const afterIds: unknown[] = [];
    const counted = {
      ...broker,
      subscribe: (room: string, o?: { signal?: AbortSignal; afterId?: number }) => {
        afterIds.push(o?.afterId);
        return broker.subscribe(room, o);
      },
    };
    const rpc = createClient<ReturnType<typeof createDemoService>>(
      createInProcessTransport(createDemoService(counted)),
    );
    const sub = rpc.chat.subscribe('burst', 0);
    await sub.ready;
    // Ten in one turn: the fifth overflows the subscriber's queue of four.
    for (let i = 1; i <= 10; i++)
      void broker.publish({ room: 'burst', nick: 'n', text: `m${i}`, at: new Date(0) });
    const ids: number[] = [];
    for await (const m of sub) {
      ids.push(m.id);
      if (m.id === 10) break;
    }
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The first subscription, then one resumption after the last id received.
    expect(afterIds).toEqual([0, expect.any(Number)]);
    await rpc.$close();
  });
});
