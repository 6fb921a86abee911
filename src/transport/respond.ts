/**
 * The dispatch path shared by sessions and request/response transports: a batch's
 * entries, and one whole message answered without push (an HTTP body).
 *
 * Exports: dispatchBatch, respond.
 * @internal
 */
import type { Context } from '../rpc/context.js';
import { dispatch, type SentReply } from '../rpc/dispatch.js';
import type { Call, Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import { type BatchEntry, type Limits, Refused, type ServerCodec } from './types.js';

/** ObservedDispatch runs one call in place of `dispatch`, reporting it (observer.ts). */
export type ObservedDispatch = (call: Call, context: Context) => Promise<SentReply | null>;

/**
 * dispatchBatch answers a batch's entries, concurrently (or one after another when
 * `sequential`), and returns the replies that are answered, in order.
 */
export async function dispatchBatch(
  registry: Registry,
  entries: readonly BatchEntry[],
  context: Context,
  sequential = false,
  observed?: ObservedDispatch,
): Promise<SentReply[]> {
  const run = (e: BatchEntry): SentReply | Promise<SentReply | null> =>
    e instanceof Refused
      ? e.reply
      : observed === undefined
        ? dispatch(registry, e, context)
        : observed(e, context);
  let replies: (SentReply | null)[];
  if (sequential) {
    replies = [];
    for (const e of entries) replies.push(await run(e));
  } else replies = await Promise.all(entries.map(run));
  return replies.filter((r): r is SentReply => r !== null);
}

/** RespondHooks report one message's calls, and an error reply the codec made itself. */
export interface RespondHooks {
  readonly dispatch: ObservedDispatch;
  refused(reply: Reply): void;
}

/**
 * respond answers one message on a request/response transport (an HTTP body): the
 * same decode → dispatch → encode path as a session, with no push. It resolves with
 * the encoded answer, or null when there is nothing to answer (notifications).
 * Never rejects.
 */
export async function respond<In, Out>(
  init: { readonly registry: Registry; readonly codec: ServerCodec<In, Out>; readonly limits: Limits },
  message: In,
  context: Context,
  observed?: RespondHooks,
): Promise<Out | null> {
  const { codec, registry } = init;
  const incoming = codec.decode(message, init.limits);
  switch (incoming.kind) {
    case 'call': {
      const reply = await (observed === undefined
        ? dispatch(registry, incoming.call, context)
        : observed.dispatch(incoming.call, context));
      if (reply === null) return null;
      return codec.encodeReply(incoming.rewrite === undefined ? reply : incoming.rewrite(reply));
    }
    case 'batch': {
      const replies: Reply[] = await dispatchBatch(
        registry,
        incoming.entries,
        context,
        incoming.sequential,
        observed?.dispatch,
      );
      return replies.length === 0 || codec.encodeBatch === undefined ? null : codec.encodeBatch(replies);
    }
    case 'reply':
      observed?.refused(incoming.reply);
      return codec.encodeReply(incoming.reply);
    default:
      return null;
  }
}
