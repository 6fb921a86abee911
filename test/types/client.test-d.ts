import { describe, expectTypeOf, it } from 'vitest';
import type { DemoService } from '../../src/demo/service.js';
import type { Client } from '../../src/sdk/types.js';
import type { RemoteSubscription, Settled } from '../../src/transport/types.js';

declare const rpc: Client<DemoService>;

describe('Client<typeof service> infers from the definition alone', () => {
  it('types arguments and results', () => {
    expectTypeOf(rpc.add).parameters.toEqualTypeOf<[number, number]>();
    expectTypeOf(rpc.add(1, 2)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(rpc.credentials.lookup).parameters.toEqualTypeOf<[string]>();
    expectTypeOf(rpc.credentials.lookup('Dalek')).resolves.toBeString();
    expectTypeOf(rpc.chat.history('r')).resolves.items.toHaveProperty('text').toBeString();
  });

  it('rejects wrong argument types and counts', () => {
    // @ts-expect-error a string is not a number
    rpc.add('1', 2);
    // @ts-expect-error too few arguments
    rpc.hypotenuse(3);
    // @ts-expect-error too many arguments
    rpc.credentials.lookup('Dalek', 1);
    // @ts-expect-error no such procedure
    rpc.credentials.missing();
  });

  it('optional trailing parameters are optional', () => {
    rpc.chat.send('room', 'text');
    rpc.chat.send('room', 'text', 'nick');
    // @ts-expect-error nick must be a string
    rpc.chat.send('room', 'text', 1);
    expectTypeOf(rpc.chat.history).parameters.toEqualTypeOf<
      [string, (number | undefined)?, (number | undefined)?]
    >();
  });

  it('subscriptions are async iterables of events', () => {
    const sub = rpc.chat.subscribe('lobby');
    expectTypeOf(sub).toMatchTypeOf<RemoteSubscription<{ id: number; text: string; nick: string }>>();
    expectTypeOf(sub).toMatchTypeOf<AsyncIterable<{ text: string }>>();
  });

  it('batches keep each result type in order', async () => {
    const results = await rpc.$batch((b) => [b.add(1, 2), b.credentials.lookup('Dalek')]);
    expectTypeOf(results).toEqualTypeOf<[Settled<number>, Settled<string>]>();
  });

  it('a hand-written contract types a foreign server', () => {
    type Foreign = { pow(x: number, y: number): number; system: { listMethods(): string[] } };
    const foreign = {} as Client<Foreign>;
    expectTypeOf(foreign.pow(2, 3)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(foreign.system.listMethods()).toEqualTypeOf<Promise<string[]>>();
    // @ts-expect-error wrong argument type
    foreign.pow('2', 3);
  });
});
