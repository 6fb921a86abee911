/**
 * One timer for many calls' deadlines, armed at the earliest one, instead of a timer
 * per call: a call pays a comparison, not a setTimeout and a clearTimeout. Shared by
 * the stream client and the XML-RPC client.
 * @internal
 */

/**
 * DeadlineTimer calls `sweep(now)` when the earliest armed deadline passes; `sweep`
 * expires what is due and returns the next deadline (or `Infinity` for none).
 */
export class DeadlineTimer {
  #timer: NodeJS.Timeout | undefined;
  #at = Number.POSITIVE_INFINITY;
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
    const next = this.sweep(performance.now());
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };

  constructor(private readonly sweep: (now: number) => number) {}

  /** arm makes sure the timer fires no later than `deadline` (a `performance.now()` time). */
  arm(deadline: number): void {
    if (this.#timer !== undefined && deadline >= this.#at) {
      this.#timer.ref();
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(deadline - performance.now())));
  }

  /** idle lets the process exit while nothing waits (the timer stays armed, unref'd). */
  idle(): void {
    this.#timer?.unref();
  }

  /** stop disarms the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }
}
