/**
 * A bounded async queue: producers push without waiting, one consumer iterates.
 * When full it drops the oldest item, so a slow consumer never makes memory grow.
 */

/** QueueOptions configure a {@link createQueue}. */
export interface QueueOptions {
  /** Items kept before the oldest is dropped. Defaults to 1024. */
  readonly capacity?: number;
  /** Called with the number of items dropped so far each time one is dropped. */
  readonly onDrop?: (dropped: number) => void;
  /** Called once when the consumer stops (break, return, or end). */
  readonly onClose?: () => void;
  /** Called each time the consumer takes a buffered item, with the number still buffered. */
  readonly onTake?: (size: number) => void;
}

/** Queue is the producer side plus the consumer's async iterator. */
export interface Queue<T> extends AsyncIterableIterator<T> {
  /** push adds an item; returns false when the queue is already closed. */
  push(item: T): boolean;
  /** return stops iteration early (a `break`); the queue closes and drops what it holds. */
  return(): Promise<IteratorResult<T>>;
  /** end finishes the stream after the buffered items, or with an error. */
  end(error?: unknown): void;
  /** Items waiting to be read. */
  readonly size: number;
  /** Items dropped because the consumer was too slow. */
  readonly dropped: number;
}

/** createQueue returns an empty bounded queue. */
export function createQueue<T>(options: QueueOptions = {}): Queue<T> {
  const capacity = options.capacity ?? 1024;
  let items: T[] = [];
  let head = 0;
  let waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let closed = false;
  let dropped = 0;

  const close = (): void => {
    if (closed) return;
    closed = true;
    ended = true;
    items = [];
    head = 0;
    options.onClose?.();
  };

  const queue: Queue<T> = {
    get size() {
      return items.length - head;
    },
    get dropped() {
      return dropped;
    },
    push(item) {
      if (ended) return false;
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w.resolve({ value: item, done: false });
        return true;
      }
      if (items.length - head >= capacity) {
        head++;
        dropped++;
        options.onDrop?.(dropped);
      }
      items.push(item);
      if (head > 1024 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
      return true;
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) failure = { error };
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        if (failure) w.reject(failure.error);
        else w.resolve({ value: undefined, done: true });
        close();
      }
    },
    next() {
      if (head < items.length) {
        const value = items[head] as T;
        items[head++] = undefined as T;
        options.onTake?.(items.length - head);
        return Promise.resolve({ value, done: false });
      }
      if (ended) {
        const f = failure;
        failure = undefined;
        close();
        return f ? Promise.reject(f.error) : Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return() {
      ended = true;
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w.resolve({ value: undefined, done: true });
      }
      close();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
