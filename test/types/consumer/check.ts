// Compiled (never run) in a consumer project by test/types/consumer.test.ts: what
// must type-check, and what must not (each @ts-expect-error must meet an error,
// so a client type that degrades to `any` fails the build).

import { type Client, createClient, defineService, param, procedure } from 'polyrpc';
import type { DemoService } from 'polyrpc/demo';
import { z } from 'zod';

const service = defineService({
  hypotenuse: procedure({
    doc: 'Length of the hypotenuse of a right triangle.',
    params: [param('a', z.number()), param('b', z.number())],
    result: z.number(),
    handler: ({ a, b }) => Math.hypot(a, b),
  }),
});

export async function check(rpc: Client<typeof service>, demo: Client<DemoService>): Promise<void> {
  const length: number = await rpc.hypotenuse(3, 4);
  // @ts-expect-error a string is not a number
  await rpc.hypotenuse('3', 4);
  // @ts-expect-error no such procedure
  await rpc.nope(1);
  // @ts-expect-error the result is a number
  const wrong: string = await rpc.hypotenuse(3, 4);
  const who: string = await demo.credentials.lookup('Dalek');
  // @ts-expect-error credentials.lookup takes a string
  await demo.credentials.lookup(42);
  for await (const m of demo.chat.subscribe('lobby')) {
    const text: string = m.text;
    // @ts-expect-error no such field
    m.missing;
    void text;
    break;
  }
  await rpc.$close();
  void [length, wrong, who, createClient];
}
