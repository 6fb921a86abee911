/**
 * `polyrpc chat <url> <room>`: a line-oriented chat client for the demo service.
 * Lines from stdin go out with `chat.send`; the room's messages come back through
 * `chat.subscribe` where the protocol can push, else by polling `chat.history`.
 */
import { createInterface } from 'node:readline';
import { Code, RpcError } from '../rpc/errors.js';
import { TransportError } from '../transport/errors.js';
import type {
  ClientTransport,
  ConnectionState,
  RemoteSubscription,
  StateChange,
} from '../transport/types.js';
import { Exit, FatalError, milliseconds, parse, parseUrl, UsageError } from './args.js';
import { clock } from './format.js';
import { failureLine, openTransport, rpcErrorLine, TOKEN_HELP } from './remote.js';
import { defaultUrls, exampleUrl } from './urls.js';

const pushed = [...new Set(defaultUrls().flatMap((u) => (u.push ? [`${new URL(u.url).protocol}//`] : [])))];

/** help is the usage text of `polyrpc chat`. */
export const help = `Usage: polyrpc chat <url> <room> [options]

Joins a chat room of the demo service. Each line read from stdin is sent to
the room; every message in the room (yours included) prints as
"[hh:mm:ss] nick: text". Messages are pushed where the URL carries push
(${pushed.join(' ')}); elsewhere (HTTP) the room is polled every 500 ms. When the
connection drops it says so on stderr, reconnects by itself and resumes after the
last message shown, so nothing is lost or shown twice (over HTTP it keeps polling
from that id until the server answers again). Pipes work: at the end of stdin it
waits for its last messages to be sent, then exits 0.

Options:
  --nick <name>       your name in the room (default: $USER, else "anonymous")
  --timeout <time>    per-call timeout: 10, 2.5s, 500ms (default 30s)
${TOKEN_HELP}
  -h, --help          show this help

Examples:
  polyrpc chat ${exampleUrl({ push: true })} lobby --nick amy
  polyrpc chat ${exampleUrl({ push: false })} lobby --nick rory
  echo "hello from a script" | polyrpc chat ${exampleUrl({ push: true, last: true })} lobby --nick bot
`;

/** POLL_MS is how often a client without push polls `chat.history`. */
const POLL_MS = 500;
/** How long, after stdin ends, to wait for one's own last message to come back, in ms. */
const ECHO_WAIT_MS = 1500;

/** ChatLine is the part of a chat message that is printed. */
export interface ChatLine {
  readonly id?: unknown;
  readonly nick?: unknown;
  readonly text?: unknown;
  readonly at?: unknown;
}

/** formatMessage renders a message as `[hh:mm:ss] nick: text`. */
export function formatMessage(m: ChatLine): string {
  return `[${clock(m.at)}] ${String(m.nick ?? 'anonymous')}: ${String(m.text ?? '')}`;
}

/** run executes `polyrpc chat` and resolves with the exit status once stdin has ended. */
export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    nick: { type: 'string' },
    timeout: { type: 'string' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(help);
    return Exit.Ok;
  }
  const [urlText, room, ...extra] = positionals;
  if (urlText === undefined) throw new UsageError('missing <url>');
  if (room === undefined) throw new UsageError('missing <room>');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const nick = typeof values.nick === 'string' ? values.nick : process.env.USER || 'anonymous';
  const url = parseUrl(urlText);
  const transport = openTransport(url, {
    timeout: milliseconds('timeout', values.timeout),
    token: values.token as string | undefined,
  });
  try {
    return await chat(transport, room, nick, url);
  } finally {
    await transport.close().catch(() => {});
  }
}

async function chat(transport: ClientTransport, room: string, nick: string, url: URL): Promise<number> {
  let lastId = 0;
  let lastShown: ChatLine | undefined;
  let failed: unknown;
  let onFailure: () => void = () => {};
  const broken = new Promise<void>((resolve) => {
    onFailure = resolve;
  });
  const fail = (err: unknown): void => {
    failed ??= err;
    onFailure();
  };
  const show = (m: ChatLine): void => {
    const id = typeof m.id === 'number' ? m.id : 0;
    if (id !== 0 && id <= lastId) return; // already shown (a poll overlapping a push)
    if (id > lastId) lastId = id;
    lastShown = m;
    process.stdout.write(`${formatMessage(m)}\n`);
  };
  // After an outage over HTTP: a restarted in-memory server numbers from 1 again, so
  // the last message shown must still be there, or the ids no longer mean the same.
  const checkStillThere = async (): Promise<void> => {
    if (lastShown === undefined) return;
    const found = await transport.call({ method: 'chat.history', params: [room, lastId - 1, 1] });
    const m = Array.isArray(found) ? (found[0] as ChatLine | undefined) : undefined;
    if (m?.id === lastShown.id && m?.text === lastShown.text && m?.nick === lastShown.nick) return;
    process.stderr.write(
      `polyrpc chat: the server no longer has message ${lastId} (restarted?); some messages were lost\n`,
    );
    lastId = 0;
    lastShown = undefined;
  };
  const history = async (): Promise<ChatLine[]> => {
    const list = await transport.call({ method: 'chat.history', params: [room, lastId, 1000] });
    return Array.isArray(list) ? (list as ChatLine[]) : [];
  };

  // Start after the messages already in the room.
  const skip = async (): Promise<void> => {
    for (;;) {
      const page = await history();
      const last = page[page.length - 1];
      if (last === undefined) return;
      lastId = typeof last.id === 'number' ? last.id : lastId;
      if (page.length < 1000) return;
    }
  };

  let stopPushOrPoll: () => Promise<void>;
  let pushed = false;
  try {
    // From the end of the room: the subscription replays anything after lastId, so
    // nothing sent between the two calls is lost or shown twice.
    await skip();
    let sub = await subscribe(transport, room, lastId);
    if (sub !== undefined) {
      pushed = true;
      const stopState = transport.onState?.(sayState);
      let stopping = false;
      const pump = (async () => {
        while (sub !== undefined) {
          try {
            for await (const m of sub) show(m as ChatLine);
            return;
          } catch (err) {
            if (stopping || !(err instanceof RpcError) || err.code !== Code.EventsLost) throw err;
            // The server no longer has what came after lastId (it restarted, or trimmed
            // its history): say so, and carry on with everything it still has — all of
            // it newer than what was shown (ids are never reused), so none is repeated.
            process.stderr.write(`polyrpc chat: ${err.message}; some messages were lost\n`);
            lastId = 0;
            sub = await subscribe(transport, room, 0);
          }
        }
      })().catch(fail);
      stopPushOrPoll = async () => {
        stopping = true;
        stopState?.();
        await sub?.close().catch(() => {});
        await pump;
      };
    } else {
      let down = false;
      let polling = false;
      const poll = async (): Promise<void> => {
        if (down) await checkStillThere();
        const list = await history();
        if (down) process.stderr.write('polyrpc chat: reconnected\n');
        down = false;
        list.forEach(show);
      };
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        poll()
          .catch((err: unknown) => {
            // A server that restarts is polled again, from the same id, until it answers.
            if (!(err instanceof TransportError)) return fail(err);
            if (!down) process.stderr.write(`polyrpc chat: ${err.message}; retrying\n`);
            down = true;
          })
          .finally(() => {
            polling = false;
          });
      }, POLL_MS);
      stopPushOrPoll = async () => {
        clearInterval(timer);
        for (const m of await history().catch(() => [])) show(m);
      };
    }
  } catch (err) {
    throw new FatalError(failureLine(err, { url, protocol: transport.protocol }).replace(/^polyrpc: /, ''));
  }

  const how = pushed ? 'push' : `polling every ${POLL_MS} ms`;
  process.stderr.write(`polyrpc chat: joined ${room} as ${nick} (${how})\n`);

  // Lines are sent one after another, so the room sees them in order.
  let lastSent = 0;
  let sending: Promise<void> = Promise.resolve();
  const lines = createInterface({
    input: process.stdin,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  const ended = new Promise<void>((resolve) => lines.once('close', resolve));
  lines.on('line', (line) => {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '') return;
    sending = sending.then(async () => {
      if (failed !== undefined) return;
      try {
        const sent = (await transport.call({ method: 'chat.send', params: [room, text, nick] })) as ChatLine;
        if (typeof sent?.id === 'number') lastSent = Math.max(lastSent, sent.id);
      } catch (err) {
        if (err instanceof RpcError) process.stderr.write(`${rpcErrorLine(err)}\n`);
        else fail(err);
      }
    });
  });
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.race([ended, interrupted, broken]);
  if (failed === undefined) {
    await sending;
    // Show one's own last message as the room saw it before leaving.
    const deadline = Date.now() + ECHO_WAIT_MS;
    while (lastId < lastSent && failed === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  lines.close();
  await stopPushOrPoll();
  if (failed !== undefined) {
    process.stderr.write(`${failureLine(failed)}\n`);
    return Exit.Failure;
  }
  return Exit.Ok;
}

// sayState tells the user the connection dropped and came back (the client
// reconnects and resumes the subscription by itself).
function sayState(state: ConnectionState, why?: StateChange): void {
  if (state === 'reconnecting' && why === 'goaway')
    process.stderr.write(
      'polyrpc chat: the server is going away (shutting down); moving to a new connection\n',
    );
  else if (state === 'reconnecting') process.stderr.write('polyrpc chat: connection lost; reconnecting\n');
  else if (state === 'open') process.stderr.write('polyrpc chat: reconnected\n');
}

// subscribe returns a live subscription to the room after message `afterId`, or
// undefined when the protocol cannot push (the caller then polls).
async function subscribe(
  transport: ClientTransport,
  room: string,
  afterId: number,
): Promise<RemoteSubscription<unknown> | undefined> {
  // Without push, check the server is there (and has the chat service) before polling it.
  const probe = async (): Promise<undefined> => {
    await transport.call({ method: 'chat.history', params: [room, 0, 1] });
    return undefined;
  };
  if (transport.subscribe === undefined) return probe();
  const sub = transport.subscribe({ method: 'chat.subscribe', params: [room, afterId] });
  try {
    await sub.ready;
    return sub;
  } catch (err) {
    await sub.close().catch(() => {});
    if (err instanceof RpcError && err.code === Code.Unsupported) return probe();
    throw err;
  }
}
