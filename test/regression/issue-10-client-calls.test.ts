/**
 * Issue 10, items 1, 2 and 6, on every protocol `serve()` opens: a call that is not
 * awaited is still sent; a subscription sent as a plain call does not push into the
 * void; an error the msgpack server cannot read a request's body for fails that call
 * at once; one AbortSignal serves any number of calls with one listener.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoService, type DemoService } from '../../src/demo/service.js';
import { Code } from '../../src/rpc/errors.js';
import type { Logger } from '../../src/rpc/registry.js';
import { createClient } from '../../src/sdk/index.js';
import type { Client } from '../../src/sdk/types.js';
import { protocols } from '../../src/transport/index.js';
import { type RpcServer, serve } from '../../src/transport/serve.js';

const quiet: Logger = { debug() {}, error() {} };
const opened: Client<DemoService>[] = [];
// Started at collection time: the endpoints it opens name the test cases.
const server: RpcServer = await serve(createDemoService(), {
  httpPort: 0,
  ports: Object.fromEntries(protocols.filter((p) => p.stream !== undefined).map((p) => [p.name, 0])),
  logger: quiet,
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.$close()));
  await server?.close(1000);
});

const client = (url: string): Client<DemoService> => {
  const rpc = createClient<DemoService>(url, { timeout: 5000 });
  opened.push(rpc);
  return rpc;
};
const endpoints = (): [string][] => server.listeners.map((l) => [l.clientUrl]);
const until = async (check: () => Promise<boolean>, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(endpoints())('%s', (url) => {
  it('sends a call nobody awaits (fire and forget)', async () => {
    const rpc = client(url);
    const room = `ff-${Math.random().toString(36).slice(2)}`;
    void rpc.chat.send(room, 'fired', 'amy');
    await until(async () => (await rpc.chat.history(room)).length === 1);
    expect((await rpc.chat.history(room))[0]).toMatchObject({ text: 'fired', nick: 'amy' });
  });

  it('one AbortSignal shared by 50 calls adds one listener and aborts them all', async () => {
    const rpc = client(url);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const calls = Array.from({ length: 50 }, (_, i) => rpc.$with({ signal: controller.signal }).add(i, 1));
      expect(await Promise.all(calls)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const slow = Array.from({ length: 20 }, () =>
        Promise.resolve(rpc.$with({ signal: controller.signal }).echo('x')).catch((e: unknown) => e),
      );
      controller.abort();
      for (const r of await Promise.all(slow)) if (r !== 'x') expect(r).toMatchObject({ reason: 'aborted' });
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('msgpack: an unreadable request body', () => {
  it('fails the call at once with -32000 when params nest deeper than the limit', async () => {
    const url = server.listeners.find((l) => l.protocol === 'msgpack')!.clientUrl;
    const rpc = client(url);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    const start = performance.now();
    await expect(rpc.echo(deep)).rejects.toMatchObject({ code: Code.LimitExceeded });
    expect(performance.now() - start).toBeLessThan(2000); // not the 5 s timeout
    expect(await rpc.add(1, 2)).toBe(3); // the connection goes on
  });
});

describe('a subscription sent as a plain call', () => {
  it('is asked to stop at its first push instead of pushing into the void', async () => {
    const listener = server.listeners.find(
      (l) => l.protocol === 'jsonrpc' && l.clientUrl.startsWith('tcp:'),
    )!;
    const rpc = client(listener.clientUrl);
    const room = `void-${Math.random().toString(36).slice(2)}`;
    // Awaited as a call: the server opens a subscription that nobody iterates.
    const id = (await (rpc.chat.subscribe(room) as unknown as PromiseLike<unknown>)) as number;
    expect(typeof id).toBe('number');
    await client(listener.clientUrl).chat.send(room, 'one');
    // On the same connection, the subscription is already gone: unsubscribing says false.
    await until(
      async () => (await rpc.$transport.call({ method: 'rpc.unsubscribe', params: [id] })) === false,
    );
  });
});
