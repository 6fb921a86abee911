/**
 * The demo service from the network-programming lessons: arithmetic, the
 * credentials table, echo, and chat rooms with push.
 */
import { z } from 'zod';
import { RpcError } from '../rpc/errors.js';
import { defineService, param, procedure, subscription } from '../rpc/service.js';
import {
  type Broker,
  type ChatMessage,
  createMemoryBroker,
  DEFAULT_MAX_BYTES,
  type MemoryBrokerOptions,
} from './broker.js';

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

// Characters XML 1.0 cannot carry even as references: C0 controls other than tab, LF
// and CR, and U+FFFE/U+FFFF (kept as regex source text: they are what we look for).
const UNCARRIABLE = String.raw`\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff`;
const XML_UNCARRIABLE = new RegExp(`[${UNCARRIABLE}]`);

/**
 * isPortableText tells whether every protocol can carry `s`: it is valid Unicode (no
 * lone surrogate) and holds no character XML 1.0 cannot carry. Chat text is stored and
 * read back over any protocol, so anything else is refused where it comes in: one
 * message must never make `chat.history` fail for a whole room on XML-RPC.
 */
export function isPortableText(s: string): boolean {
  return s.isWellFormed() && !XML_UNCARRIABLE.test(s);
}

const UNPORTABLE =
  'must be valid Unicode without control characters other than tab, LF and CR (XML-RPC cannot carry them)';

/** portableText is a string schema of at most `max` UTF-16 units that {@link isPortableText} accepts. */
const portableText = (max: number) => z.string().max(max).refine(isPortableText, UNPORTABLE);

const room = portableText(128).min(1);

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

/**
 * DemoServiceOptions configure {@link createDemoService}: a broker of your own, or the
 * options of the in-memory one (its byte budget `maxBytes` defaults to 64 MiB, its
 * history to 1000 messages per room).
 */
export interface DemoServiceOptions extends MemoryBrokerOptions {
  /** The chat broker. Defaults to `createMemoryBroker(options)`. */
  readonly broker?: Broker;
}

// The retention sentences of the chat docs, with the in-memory broker's actual limits.
function retentionDoc(memory: MemoryBrokerOptions | undefined): { history: string; subscriber: string } {
  if (memory === undefined)
    return {
      history: 'The broker keeps a bounded history: older messages are gone.',
      subscriber:
        'A slow subscriber may lose messages; recover them with chat.history while the room keeps them.',
    };
  const kept = memory.historyLimit ?? 1000;
  const mib = Math.round(((memory.maxBytes ?? DEFAULT_MAX_BYTES) / 1024 / 1024) * 10) / 10;
  return {
    history: `The server keeps the last ${kept} messages of a room, and ${mib} MiB of messages in all (the least recently used rooms lose their oldest first): older ones are gone.`,
    subscriber: `A slow subscriber loses the oldest undelivered messages beyond ${memory.subscriberBuffer ?? 256}; recover them with chat.history, which keeps the last ${kept} of the room.`,
  };
}

function isBroker(x: Broker | DemoServiceOptions): x is Broker {
  return typeof (x as Broker).publish === 'function';
}

/** createDemoService builds the demo service around a broker (in memory by default); a Broker may be passed directly. */
export function createDemoService(options: DemoServiceOptions | Broker = {}) {
  const broker = isBroker(options) ? options : (options.broker ?? createMemoryBroker(options));
  const retention = retentionDoc(isBroker(options) || options.broker !== undefined ? undefined : options);
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
          doc: 'chat.send(room, text, nick?) stores a message in a room, pushes it to subscribers and returns it. Text, room and nick must be valid Unicode without control characters other than tab, LF and CR (every protocol can carry them).',
          params: [
            param('room', room),
            param('text', portableText(4096)),
            param('nick', portableText(64).min(1).optional()),
          ],
          result: chatMessage,
          handler: ({ room, text, nick }) =>
            broker.publish({ room, text, nick: nick ?? 'anonymous', at: new Date() }),
        }),
        history: procedure({
          doc: `chat.history(room, afterId?, limit?) returns messages with id > afterId (default 0), oldest first, at most limit (default 100, max 1000). Poll it where push is not available. ${retention.history}`,
          params: [
            param('room', room),
            param('afterId', z.number().int().nonnegative().optional()),
            param('limit', z.number().int().min(1).max(1000).optional()),
          ],
          result: z.array(chatMessage),
          handler: ({ room, afterId, limit }) => broker.history(room, afterId ?? 0, limit ?? 100),
        }),
        subscribe: subscription({
          doc: `chat.subscribe(room, afterId?) pushes the stored messages with id > afterId, then every message sent to the room, in id order, each once. Events carry their message id, so a client resumes after a reconnect where it left off. Error -32002 (events lost) ends the stream when messages after afterId are no longer kept, or when the subscriber falls 256 messages behind (data.reason "overflow": resume from the last id). ${retention.history}`,
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
