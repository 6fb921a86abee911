/**
 * The demo service from the network-programming lessons: arithmetic, the
 * credentials table, echo, and chat rooms with push.
 */
import { z } from 'zod';
import { RpcError } from '../rpc/errors.js';
import { defineService, param, procedure, subscription } from '../rpc/service.js';
import { type Broker, type ChatMessage, createMemoryBroker } from './broker.js';

/** UNKNOWN_SPECIES is the application error code of `credentials.lookup` for a species not in the table. */
export const UNKNOWN_SPECIES = 404;

/** CREDENTIALS maps each species to its credentials. */
export const CREDENTIALS: ReadonlyMap<string, string> = new Map([
  ['Cyberman', 'John Lumic'],
  ['Dalek', 'Davros'],
  ['Judoon', 'Shadow Proclamation Convention 15 Enforcer'],
  ['Human', 'Leonardo da Vinci'],
  ['Ood', 'Klineman Halpen'],
  ['Silence', 'Tasha Lem'],
  ['Slitheen', 'Coca-Cola salesman'],
  ['Sontaran', 'General Staal'],
  ['Time Lord', 'Rassilon'],
  ['Weeping Angel', 'The Division Representative'],
  ['Zygon', 'Broton'],
]);

const leg = z.number().finite().nonnegative();
const room = z.string().min(1).max(128);

/**
 * chatMessage is the schema of a stored chat message. `at` is a Date on every
 * protocol (XML-RPC dateTime, msgpack timestamp; JSON-RPC carries it as an ISO string
 * and the schema accepts that too).
 */
export const chatMessage = z.object({
  id: z.number().int().positive(),
  room: z.string(),
  nick: z.string(),
  text: z.string(),
  at: z.union([z.date(), z.iso.datetime()]),
});

/** createDemoService builds the demo service around a broker (in memory by default). */
export function createDemoService(broker: Broker = createMemoryBroker()) {
  return defineService(
    {
      add: procedure({
        doc: 'add(a, b) returns the sum of two numbers; integers stay integers.',
        params: [param('a', z.number()), param('b', z.number())],
        result: z.number(),
        handler: ({ a, b }) => a + b,
      }),
      hypotenuse: procedure({
        doc: 'hypotenuse(a, b) returns the length of the hypotenuse of a right triangle with legs a and b (Math.hypot). Legs must be finite and non-negative.',
        params: [param('a', leg), param('b', leg)],
        result: z.number(),
        handler: ({ a, b }) => Math.hypot(a, b),
      }),
      credentials: {
        lookup: procedure({
          doc: `credentials.lookup(species) returns the credentials of a species. An unknown species is error ${UNKNOWN_SPECIES}.`,
          params: [param('species', z.string().max(256))],
          result: z.string(),
          handler: ({ species }) => {
            const found = CREDENTIALS.get(species);
            if (found === undefined) throw new RpcError(UNKNOWN_SPECIES, `Unknown species: ${species}`);
            return found;
          },
        }),
      },
      echo: procedure({
        doc: 'echo(value) returns its argument unchanged: any wire value.',
        params: [param('value', z.unknown())],
        result: z.unknown(),
        handler: ({ value }) => value,
      }),
      chat: {
        send: procedure({
          doc: 'chat.send(room, text, nick?) stores a message in a room, pushes it to subscribers and returns it.',
          params: [
            param('room', room),
            param('text', z.string().max(4096)),
            param('nick', z.string().min(1).max(64).optional()),
          ],
          result: chatMessage,
          handler: ({ room, text, nick }) =>
            broker.publish({ room, text, nick: nick ?? 'anonymous', at: new Date() }),
        }),
        history: procedure({
          doc: 'chat.history(room, afterId?, limit?) returns messages with id > afterId (default 0), oldest first, at most limit (default 100, max 1000). Poll it where push is not available.',
          params: [
            param('room', room),
            param('afterId', z.number().int().nonnegative().optional()),
            param('limit', z.number().int().min(1).max(1000).optional()),
          ],
          result: z.array(chatMessage),
          handler: ({ room, afterId, limit }) => broker.history(room, afterId ?? 0, limit ?? 100),
        }),
        subscribe: subscription({
          doc: 'chat.subscribe(room, afterId?) pushes the stored messages with id > afterId, then every message sent to the room, in id order, each once. Events carry their message id, so a client resumes after a reconnect where it left off. Error -32002 (events lost) ends the stream when messages after afterId are no longer kept, or when the subscriber falls 256 messages behind (data.reason "overflow": resume from the last id).',
          params: [param('room', room), param('afterId', z.number().int().nonnegative().optional())],
          event: chatMessage,
          fallback: 'chat.history',
          eventId: (m) => m.id,
          handler: ({ room, afterId }, ctx) => {
            const resume = typeof ctx.resumeAfter === 'number' ? ctx.resumeAfter : afterId;
            return broker.subscribe(room, { signal: ctx.signal, afterId: resume });
          },
        }),
      },
    },
    { title: 'polyrpc demo', version: '0.1.0' },
  );
}

/** demoService is a demo service instance with its own in-memory broker. */
export const demoService = createDemoService();

/** DemoService is the type to pass to `createClient<DemoService>()`. */
export type DemoService = typeof demoService;

export type { ChatMessage };
