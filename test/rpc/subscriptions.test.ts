/**
 * The per-connection subscription table (src/rpc/subscriptions.ts) with no I/O: a
 * sink that records pushes stands in for the socket.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createConnectionContext } from '../../src/rpc/context.js';
import { dispatch } from '../../src/rpc/dispatch.js';
import { Code, RpcError } from '../../src/rpc/errors.js';
import type { Push } from '../../src/rpc/message.js';
import { createRegistry, type Logger } from '../../src/rpc/registry.js';
import { defineService, param, subscription } from '../../src/rpc/service.js';
import { createSubscriptions, type PushSink } from '../../src/rpc/subscriptions.js';

const quiet: Logger = { debug() {}, error() {} };

const recorder = (): { pushes: Push[]; sink: PushSink } => {
  const pushes: Push[] = [];
  return { pushes, sink: (p) => void pushes.push(p) };
};

async function* count(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** forever yields nothing until its signal aborts, and records that its `finally` ran. */
const parked = (state: { finished: boolean }) =>
  (async function* () {
    try {
      await new Promise(() => {});
      yield 0;
    } finally {
      state.finished = true;
    }
  })();

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('subscriptions: open and start', () => {
  it('gives increasing ids and pulls nothing before start', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const pulled: number[] = [];
    const events = (async function* () {
      pulled.push(1);
      yield 'a';
    })();
    const a = subs.open(events, new AbortController());
    const b = subs.open(count(0), new AbortController());
    expect([a, b]).toEqual([1, 2]);
    expect(subs.size).toBe(2);
    await tick();
    expect(pulled).toEqual([]);
    expect(pushes).toEqual([]);
    subs.start(a);
    await vi.waitFor(() => expect(pushes).toHaveLength(2));
    expect(pulled).toEqual([1]);
    expect(pushes).toEqual([
      { kind: 'event', subscription: a, event: 'a' },
      { kind: 'end', subscription: a },
    ]);
    expect(subs.size).toBe(1);
  });

  it('pushes events in order, then the end, and aborts the controller when done', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const controller = new AbortController();
    const id = subs.open(count(50), controller);
    subs.start(id);
    await vi.waitFor(() => expect(pushes).toHaveLength(51));
    expect(pushes.slice(0, 50).map((p) => (p.kind === 'event' ? p.event : null))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(pushes[50]).toEqual({ kind: 'end', subscription: id });
    expect(controller.signal.aborted).toBe(true);
    expect(subs.size).toBe(0);
  });

  it('start twice pumps once; start of an unknown id does nothing', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const id = subs.open(count(3), new AbortController());
    subs.start(id);
    subs.start(id);
    subs.start(999);
    await vi.waitFor(() => expect(pushes).toHaveLength(4));
    await tick();
    expect(pushes).toHaveLength(4);
  });

  it('waits for a sink that applies backpressure before pulling the next event', async () => {
    let release: () => void = () => {};
    const seen: unknown[] = [];
    const subs = createSubscriptions((p) => {
      seen.push(p.kind === 'event' ? p.event : 'end');
      if (p.kind === 'event' && p.event === 0) return new Promise<void>((r) => (release = r));
    });
    let pulled = 0;
    const events = (async function* () {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield i;
      }
    })();
    subs.start(subs.open(events, new AbortController()));
    await tick(20);
    expect(seen).toEqual([0]);
    expect(pulled).toBe(1);
    release();
    await vi.waitFor(() => expect(seen).toEqual([0, 1, 2, 'end']));
  });

  it('runs each event through the check, and a failing check ends the stream with an internal error', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const check = (e: unknown): unknown => {
      if (e === 2) throw new Error('bad event');
      return (e as number) * 10;
    };
    const id = subs.open(count(5), new AbortController(), check);
    subs.start(id);
    await vi.waitFor(() => expect(pushes).toHaveLength(3));
    expect(pushes.slice(0, 2)).toEqual([
      { kind: 'event', subscription: id, event: 0 },
      { kind: 'event', subscription: id, event: 10 },
    ]);
    const end = pushes[2]!;
    expect(end.kind === 'end' ? end.error?.code : null).toBe(Code.Internal);
    expect(end.kind === 'end' ? end.error?.message : null).toBe('rpc: internal error');
  });
});

describe('subscriptions: ending with an error', () => {
  it('sends an RpcError thrown by the stream as is', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const controller = new AbortController();
    const events = (async function* () {
      yield 1;
      throw new RpcError(410, 'room closed', { data: { room: 'r' } });
    })();
    const id = subs.open(events, controller);
    subs.start(id);
    await vi.waitFor(() => expect(pushes).toHaveLength(2));
    const end = pushes[1]!;
    expect(end.kind).toBe('end');
    expect(end.kind === 'end' ? end.error?.toShape() : null).toEqual({
      code: 410,
      message: 'room closed',
      data: { room: 'r' },
    });
    expect(controller.signal.aborted).toBe(true);
    expect(subs.size).toBe(0);
  });

  it('hides any other error behind a generic internal error', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const events = (async function* () {
      throw new Error('secret /etc/passwd');
      // biome-ignore lint/correctness/noUnreachable: a generator that fails at once
      yield 0;
    })();
    subs.start(subs.open(events, new AbortController()));
    await vi.waitFor(() => expect(pushes).toHaveLength(1));
    const end = pushes[0]!;
    expect(end.kind === 'end' ? end.error?.toShape() : null).toEqual({
      code: Code.Internal,
      message: 'rpc: internal error',
    });
  });

  it('a stream whose iterator factory throws ends with an error and does not break the table', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const broken: AsyncIterable<unknown> = {
      [Symbol.asyncIterator]() {
        throw new Error('no iterator');
      },
    };
    const bad = subs.open(broken, new AbortController());
    subs.start(bad);
    await vi.waitFor(() => expect(pushes).toHaveLength(1));
    expect(pushes[0]).toMatchObject({ kind: 'end', subscription: bad, error: { code: Code.Internal } });
    const good = subs.open(count(1), new AbortController());
    subs.start(good);
    await vi.waitFor(() => expect(pushes).toHaveLength(3));
    expect(pushes.slice(1)).toEqual([
      { kind: 'event', subscription: good, event: 0 },
      { kind: 'end', subscription: good },
    ]);
  });
});

describe('subscriptions: close and closeAll', () => {
  it('close ends one stream without an end push, aborts it and returns its generator', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const state = { finished: false };
    const controller = new AbortController();
    const id = subs.open(parked(state), controller);
    subs.start(id);
    await tick();
    expect(subs.close(id)).toBe(true);
    expect(controller.signal.aborted).toBe(true);
    expect(subs.size).toBe(0);
    expect(subs.close(id)).toBe(false);
    expect(subs.close(12345)).toBe(false);
    await tick();
    expect(pushes).toEqual([]); // the client asked; no rpc.end
  });

  it('close before start never pulls from the stream', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    let pulled = false;
    const events = (async function* () {
      pulled = true;
      yield 1;
    })();
    const controller = new AbortController();
    const id = subs.open(events, controller);
    expect(subs.close(id)).toBe(true);
    subs.start(id);
    await tick();
    expect(pulled).toBe(false);
    expect(controller.signal.aborted).toBe(true);
    expect(pushes).toEqual([]);
  });

  it('closeAll aborts every stream, started or not', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink);
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const states = controllers.map(() => ({ finished: false }));
    const ids = controllers.map((c, i) => subs.open(parked(states[i]!), c));
    subs.start(ids[0]!);
    subs.start(ids[1]!);
    await tick();
    subs.closeAll();
    expect(subs.size).toBe(0);
    expect(controllers.every((c) => c.signal.aborted)).toBe(true);
    await tick();
    expect(pushes).toEqual([]);
  });
});

describe('subscriptions: the limit', () => {
  it('defaults to 64 live streams per table', () => {
    const subs = createSubscriptions(() => {});
    for (let i = 0; i < 64; i++) subs.open(count(0), new AbortController());
    expect(() => subs.open(count(0), new AbortController())).toThrow(RpcError);
    try {
      subs.open(count(0), new AbortController());
    } catch (err) {
      expect((err as RpcError).code).toBe(Code.LimitExceeded);
      expect((err as RpcError).message).toContain('limit 64');
    }
  });

  it('frees a slot when a stream is closed or ends', async () => {
    const { pushes, sink } = recorder();
    const subs = createSubscriptions(sink, { maxSubscriptions: 2 });
    const a = subs.open(count(0), new AbortController());
    subs.open(count(0), new AbortController());
    expect(() => subs.open(count(0), new AbortController())).toThrow(/limit 2/);
    subs.close(a);
    const c = subs.open(count(0), new AbortController());
    expect(() => subs.open(count(0), new AbortController())).toThrow(/limit 2/);
    subs.start(c);
    await vi.waitFor(() => expect(pushes).toEqual([{ kind: 'end', subscription: c }]));
    expect(subs.size).toBe(1);
    subs.open(count(0), new AbortController());
  });

  it('counts reserved slots: reserve refuses at the limit, release gives the slot back', () => {
    const subs = createSubscriptions(() => {}, { maxSubscriptions: 2 });
    const r1 = subs.reserve();
    const r2 = subs.reserve();
    expect(subs.size).toBe(0);
    const refused = (() => {
      try {
        subs.reserve();
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(Code.LimitExceeded);
    expect(() => subs.open(count(0), new AbortController())).toThrow(/limit 2/);
    r1.release();
    r1.release(); // twice gives back one slot only
    const id = r2.open(count(0), new AbortController());
    expect(subs.size).toBe(1);
    expect(() => r2.open(count(0), new AbortController())).toThrow(/already used/);
    subs.reserve();
    expect(() => subs.reserve()).toThrow(/limit 2/);
    expect(subs.close(id)).toBe(true);
    subs.reserve();
  });
});

describe('subscriptions through dispatch: the limit is checked before the handler runs', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  const setup = (handler: (signal: AbortSignal) => AsyncIterable<number>) => {
    const subs = createSubscriptions(() => {});
    const service = defineService({
      feed: subscription({
        doc: 'feed(room) pushes numbers.',
        params: [param('room', z.string())],
        event: z.number(),
        handler: (_args, ctx) => handler(ctx.signal),
      }),
    });
    const registry = createRegistry(service, { logger: quiet });
    const conn = createConnectionContext({ protocol: 'test', subscriptions: subs });
    let seq = 0;
    const subscribe = () => dispatch(registry, { id: ++seq, method: 'feed', params: ['r'] }, conn.context);
    return { subs, subscribe, conn };
  };

  it('a refused subscribe runs no handler and adds no listener', async () => {
    process.on('warning', onWarning);
    let calls = 0;
    const signals: AbortSignal[] = [];
    const { subs, subscribe, conn } = setup((signal) => {
      calls++;
      signals.push(signal);
      return parked({ finished: false });
    });
    for (let i = 0; i < 64; i++) {
      const reply = await subscribe();
      expect(reply).toMatchObject({ ok: true });
      reply?.onSent?.();
    }
    for (let i = 0; i < 500; i++) {
      const reply = await subscribe();
      expect(reply).toMatchObject({ ok: false, error: { code: Code.LimitExceeded } });
    }
    expect(calls).toBe(64);
    expect(subs.size).toBe(64);
    conn.abort(); // the connection goes away: every subscription's signal aborts
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(subs.size).toBe(0);
    await tick();
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('a handler that throws gives its slot back and aborts its signal', async () => {
    const seen: AbortSignal[] = [];
    let fail = true;
    const { subs, subscribe } = setup((signal) => {
      seen.push(signal);
      if (fail) throw new RpcError(403, 'not in this room');
      return count(0);
    });
    for (let i = 0; i < 100; i++) {
      expect(await subscribe()).toMatchObject({ ok: false, error: { code: 403 } });
    }
    expect(seen).toHaveLength(100);
    expect(seen.every((s) => s.aborted)).toBe(true);
    expect(subs.size).toBe(0);
    fail = false;
    for (let i = 0; i < 64; i++) expect(await subscribe()).toMatchObject({ ok: true });
    expect(await subscribe()).toMatchObject({ ok: false, error: { code: Code.LimitExceeded } });
  });

  it('a subscribe that arrives after the connection ended gets an aborted signal', async () => {
    const seen: AbortSignal[] = [];
    const { subscribe, conn } = setup((signal) => {
      seen.push(signal);
      return count(0);
    });
    conn.abort();
    await subscribe();
    expect(seen[0]?.aborted).toBe(true);
  });
});
