/**
 * The connections a message client stopped using because the server said
 * `rpc.goaway`: each still carries the replies of the calls in flight on it, and
 * half-closes once they are in (`Link.retire`). Nothing new is sent on them.
 *
 * Exports: Retiring.
 * @internal
 */
import type { Link } from './link.js';

/** Retiring is one client's retired connections. Not shared; methods never throw. */
export class Retiring<In, Out> {
  readonly #links = new Set<Link<In, Out>>();

  /** add retires `link`, with the calls still in flight on it. */
  add(link: Link<In, Out>, inFlight: Iterable<number>): void {
    this.#links.add(link);
    link.retire(inFlight);
  }

  /** take forgets a lost link and returns its calls still in flight; undefined when it was not retiring. */
  take(link: Link<In, Out>): ReadonlySet<number> | undefined {
    if (!this.#links.delete(link)) return undefined;
    return link.retiring ?? new Set<number>();
  }

  /** keep returns `kept` plus the calls in flight on every retiring link (they are answered there). */
  keep(kept: ReadonlySet<number> | undefined): ReadonlySet<number> | undefined {
    if (this.#links.size === 0) return kept;
    const all = new Set(kept);
    for (const link of this.#links) for (const id of link.retiring ?? []) all.add(id);
    return all;
  }

  /** destroyAll closes every retiring connection at once (the client is closing). */
  destroyAll(): void {
    for (const link of this.#links) {
      link.abandon();
      link.conn?.destroy();
    }
    this.#links.clear();
  }
}
