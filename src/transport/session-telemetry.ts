/**
 * What a {@link Session} reports when its server is instrumented, kept out of the
 * session so that an uninstrumented session carries one `undefined` field: calls
 * through {@link observeDispatch} (with the `traceparent` of a preceding `rpc.trace`),
 * limits, and its subscriptions (opened, closed, events pushed or dropped), named by
 * their method.
 *
 * Exports: SessionTelemetry.
 * @internal
 */
import type { Context } from '../rpc/context.js';
import type { SentReply } from '../rpc/dispatch.js';
import { type Call, type Push, PushMethod, type Reply } from '../rpc/message.js';
import type { Registry } from '../rpc/registry.js';
import type { Subscriptions } from '../rpc/subscriptions.js';
import {
  type Instrument,
  type LimitName,
  limitOf,
  limitOfReply,
  methodLabel,
  observeDispatch,
} from './observer.js';

/** No method known yet: the subscription is open but its reply has not been seen. */
const UNNAMED = '';

/** SessionTelemetry is one session's reporting; see the file comment. */
export class SessionTelemetry {
  /** Live subscriptions by id: their method label, or UNNAMED until their reply is seen. */
  readonly #subs = new Map<number, string>();
  #traceparent: string | undefined;
  #cutOff = false;

  constructor(
    readonly instrument: Instrument,
    readonly protocol: string,
    readonly registry: Registry,
  ) {}

  /** trace keeps the `traceparent` of an `rpc.trace` notification for the next call or batch. */
  trace(call: Call): void {
    const p = call.params;
    const value = Array.isArray(p) ? p[0] : undefined;
    this.#traceparent = typeof value === 'string' ? value : undefined;
  }

  /** takeTrace returns the pending `traceparent` (once). */
  takeTrace(): string | undefined {
    const t = this.#traceparent;
    this.#traceparent = undefined;
    return t;
  }

  /**
   * dispatch runs one call, reported, and hands its reply to `settle` (the session's
   * own continuation, so that reporting adds no promise of its own).
   */
  dispatch(call: Call, ctx: Context, settle: (reply: SentReply | null) => void): void {
    const { instrument, protocol, registry } = this;
    if (instrument.observer === undefined)
      void observeDispatch(instrument, protocol, registry, call, ctx, this.takeTrace(), settle);
    else
      void observeDispatch(instrument, protocol, registry, call, ctx, this.takeTrace(), (reply) => {
        this.#opened(call, reply);
        settle(reply);
      });
  }

  /** observed runs one call of a batch, reported, continuing `traceparent` (the batch's). */
  observed(call: Call, ctx: Context, traceparent: string | undefined): Promise<SentReply | null> {
    return observeDispatch(this.instrument, this.protocol, this.registry, call, ctx, traceparent, (reply) => {
      this.#opened(call, reply);
      return reply;
    });
  }

  /** limit reports a limit, when the observer is set. */
  limit(limit: LimitName): void {
    this.instrument.observer?.limitRejected(this.protocol, limit);
  }

  /** cutOff reports, once, a peer cut off for not reading its output (`buffered`). */
  cutOff(): void {
    if (this.#cutOff) return;
    this.#cutOff = true;
    this.limit('buffered');
  }

  /** refused reports a codec's error reply when it stands for a limit. */
  refused(reply: Reply): void {
    const limit = limitOfReply(reply);
    if (limit !== undefined) this.limit(limit);
  }

  /** broken reports a framing failure when it stands for a limit. */
  broken(reason: string): void {
    const limit = limitOf(reason);
    if (limit !== undefined) this.limit(limit);
  }

  /** pushed reports one push the session sent (`sent`) or dropped. */
  pushed(push: Push, sent: boolean): void {
    const observer = this.instrument.observer;
    if (observer === undefined) return;
    const method = this.#subs.get(push.subscription);
    if (push.kind === 'end') {
      this.#ended(push.subscription);
      return;
    }
    if (method === undefined || method === UNNAMED) return;
    if (sent) observer.pushEvent(method);
    else observer.pushDropped(method);
  }

  /**
   * subscriptions wraps a session's table so that every way a stream ends (the
   * client's unsubscribe, a disconnect, the stream's own end) is seen once.
   */
  subscriptions(inner: Subscriptions): Subscriptions {
    if (this.instrument.observer === undefined) return inner;
    const subs = this.#subs;
    const ended = (id: number): void => this.#ended(id);
    return {
      get size() {
        return inner.size;
      },
      open(events, controller, check, eventId) {
        const id = inner.open(events, controller, check, eventId);
        subs.set(id, UNNAMED);
        return id;
      },
      reserve() {
        const slot = inner.reserve();
        return {
          open(events, controller, check, eventId) {
            const id = slot.open(events, controller, check, eventId);
            subs.set(id, UNNAMED);
            return id;
          },
          release: () => slot.release(),
        };
      },
      start: (id) => inner.start(id),
      close(id) {
        const closed = inner.close(id);
        if (closed) ended(id);
        return closed;
      },
      closeAll() {
        inner.closeAll();
        for (const id of [...subs.keys()]) ended(id);
      },
      endAll: (error) => inner.endAll(error), // each stream's `end` push reports it
    };
  }

  // A subscription's reply carries its id (and the hook that starts it): name it then.
  #opened(call: Call, reply: SentReply | null): void {
    if (reply === null || !reply.ok || reply.onSent === undefined || typeof reply.result !== 'number') return;
    const id = reply.result;
    if (this.#subs.get(id) !== UNNAMED) return; // already ended, or not ours
    const name =
      call.method === PushMethod.Resubscribe && Array.isArray(call.params) ? call.params[0] : call.method;
    const method = methodLabel(this.registry, name);
    this.#subs.set(id, method);
    this.instrument.observer?.subscriptionOpened(method);
  }

  #ended(id: number): void {
    const method = this.#subs.get(id);
    if (method === undefined) return;
    this.#subs.delete(id);
    if (method !== UNNAMED) this.instrument.observer?.subscriptionClosed(method);
  }
}
