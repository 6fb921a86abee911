/**
 * Prometheus metrics of one server, with prom-client: an {@link Observer} that counts
 * in plain fields on the call path (a map lookup and a few additions per call), and a
 * prom-client `Registry` of the server's own (never the global one, so two servers in
 * one process do not clash) whose metrics read those counts when scraped. Every metric
 * is listed with its meaning in docs/operations.md.
 *
 * Exports: createMetrics, Metrics, DURATION_BUCKETS.
 */
import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import type { ByteCounts, LimitName, Observer } from './observer.js';

/** DURATION_BUCKETS are the upper bounds of `polyrpc_call_duration_seconds`, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Metrics is a server's metrics: its prom-client registry and the observer that feeds it. */
export interface Metrics {
  /**
   * The prom-client registry holding the `polyrpc_*` metrics. Register the
   * application's own metrics (or `collectDefaultMetrics({ register })`) here to have
   * them served at `/metrics` too.
   */
  readonly registry: Registry;
  /** The observer the server's connections report to. */
  readonly observer: Observer;
  /** The content type of {@link Metrics.text}: the Prometheus text exposition format 0.0.4. */
  readonly contentType: string;
  /** text renders every metric of the registry in the text exposition format. */
  text(): Promise<string>;
}

/** One (protocol, method) pair's calls: counts by code and the duration histogram. */
class CallCell {
  ok = 0;
  errors: Map<number, number> | undefined;
  sum = 0;
  count = 0;
  /** Calls per bucket, not cumulative; the last one is +Inf. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
}

const add = <K>(map: Map<K, number>, key: K, n: number): void => {
  map.set(key, (map.get(key) ?? 0) + n);
};

class Counts implements Observer {
  readonly calls = new Map<string, Map<string, CallCell>>();
  readonly open = new Map<string, number>();
  readonly opened = new Map<string, number>();
  readonly live = new Map<string, Set<ByteCounts>>();
  readonly received = new Map<string, number>();
  readonly sent = new Map<string, number>();
  /** Limit rejections by `protocol\0limit`. */
  readonly limits = new Map<string, number>();
  readonly subscriptions = new Map<string, number>();
  readonly pushed = new Map<string, number>();
  readonly dropped = new Map<string, number>();

  connectionOpened(protocol: string, bytes?: ByteCounts): void {
    add(this.open, protocol, 1);
    add(this.opened, protocol, 1);
    if (bytes === undefined) return;
    let set = this.live.get(protocol);
    if (set === undefined) {
      set = new Set();
      this.live.set(protocol, set);
    }
    set.add(bytes);
  }

  connectionClosed(protocol: string, bytes?: ByteCounts): void {
    add(this.open, protocol, -1);
    if (bytes !== undefined && this.live.get(protocol)?.delete(bytes) === true)
      this.bytes(protocol, bytes.bytesRead, bytes.bytesWritten);
  }

  bytes(protocol: string, received: number, sent: number): void {
    add(this.received, protocol, received);
    add(this.sent, protocol, sent);
  }

  callDone(protocol: string, method: string, code: number, seconds: number): void {
    let byMethod = this.calls.get(protocol);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.calls.set(protocol, byMethod);
    }
    let cell = byMethod.get(method);
    if (cell === undefined) {
      cell = new CallCell();
      byMethod.set(method, cell);
    }
    if (code === 0) cell.ok++;
    else {
      cell.errors ??= new Map();
      add(cell.errors, code, 1);
    }
    cell.sum += seconds;
    cell.count++;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    cell.buckets[i]!++;
  }

  limitRejected(protocol: string, limit: LimitName): void {
    add(this.limits, `${protocol}\0${limit}`, 1);
  }

  subscriptionOpened(method: string): void {
    add(this.subscriptions, method, 1);
  }

  subscriptionClosed(method: string): void {
    add(this.subscriptions, method, -1);
  }

  pushEvent(method: string): void {
    add(this.pushed, method, 1);
  }

  pushDropped(method: string): void {
    add(this.dropped, method, 1);
  }

  /** Bytes by protocol, closed connections and bodies plus the live sockets' running totals. */
  totals(which: 'bytesRead' | 'bytesWritten'): Map<string, number> {
    const out = new Map(which === 'bytesRead' ? this.received : this.sent);
    for (const [protocol, set] of this.live) for (const s of set) add(out, protocol, s[which]);
    return out;
  }
}

/**
 * The duration histogram, read from the counts at scrape time. It implements what a
 * prom-client registry reads of a metric (`name`, `help`, `type`, `get`), because a
 * prom-client `Histogram` costs about half a microsecond per `observe` (it hashes the
 * label object each time), a third of the whole server-side cost of a msgpack call.
 */
class DurationHistogram {
  readonly name = 'polyrpc_call_duration_seconds';
  readonly help = 'Time from a call being decoded to its reply being ready, by protocol and method';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['protocol', 'method'];
  constructor(private readonly counts: Counts) {}

  get(): {
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  } {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const [protocol, byMethod] of this.counts.calls) {
      for (const [method, cell] of byMethod) {
        let cumulative = 0;
        for (let i = 0; i <= DURATION_BUCKETS.length; i++) {
          cumulative += cell.buckets[i]!;
          const le = i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i]! : '+Inf';
          values.push({
            labels: { le, protocol, method },
            value: cumulative,
            metricName: `${this.name}_bucket`,
          });
        }
        values.push({ labels: { protocol, method }, value: cell.sum, metricName: `${this.name}_sum` });
        values.push({ labels: { protocol, method }, value: cell.count, metricName: `${this.name}_count` });
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

/** createMetrics returns a new registry of the `polyrpc_*` metrics and the observer that feeds it. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const counts = new Counts();
  const registers = [registry];
  const fromMap = <L extends string>(
    metric: Counter<L> | Gauge<L>,
    label: L,
    map: ReadonlyMap<string, number>,
  ): void => {
    metric.reset();
    for (const [key, n] of map) {
      const labels = { [label]: key } as Record<L, string>;
      if (metric instanceof Gauge) metric.set(labels, n);
      else if (n > 0) metric.inc(labels, n);
    }
  };

  new Counter({
    name: 'polyrpc_calls_total',
    help: 'Calls answered, by protocol, method and code (0 for success, else the error code)',
    labelNames: ['protocol', 'method', 'code'],
    registers,
    collect() {
      this.reset();
      for (const [protocol, byMethod] of counts.calls) {
        for (const [method, cell] of byMethod) {
          if (cell.ok > 0) this.inc({ protocol, method, code: '0' }, cell.ok);
          for (const [code, n] of cell.errors ?? []) this.inc({ protocol, method, code: String(code) }, n);
        }
      }
    },
  });
  registry.registerMetric(new DurationHistogram(counts) as unknown as Metric);
  new Gauge({
    name: 'polyrpc_open_connections',
    help: 'Connections open now, by protocol (http: connections of the shared HTTP port)',
    labelNames: ['protocol'],
    registers,
    collect() {
      fromMap(this, 'protocol', counts.open);
    },
  });
  new Counter({
    name: 'polyrpc_connections_total',
    help: 'Connections accepted, by protocol',
    labelNames: ['protocol'],
    registers,
    collect() {
      fromMap(this, 'protocol', counts.opened);
    },
  });
  new Gauge({
    name: 'polyrpc_subscriptions',
    help: 'Live subscriptions, by method',
    labelNames: ['method'],
    registers,
    collect() {
      fromMap(this, 'method', counts.subscriptions);
    },
  });
  new Counter({
    name: 'polyrpc_push_events_total',
    help: 'Subscription events sent, by method',
    labelNames: ['method'],
    registers,
    collect() {
      fromMap(this, 'method', counts.pushed);
    },
  });
  new Counter({
    name: 'polyrpc_push_dropped_total',
    help: 'Subscription events that could not be delivered (their connection had closed), by method',
    labelNames: ['method'],
    registers,
    collect() {
      fromMap(this, 'method', counts.dropped);
    },
  });
  new Counter({
    name: 'polyrpc_bytes_received_total',
    help: 'Bytes received, by protocol (TCP and WebSocket: on the socket; HTTP: request bodies)',
    labelNames: ['protocol'],
    registers,
    collect() {
      fromMap(this, 'protocol', counts.totals('bytesRead'));
    },
  });
  new Counter({
    name: 'polyrpc_bytes_sent_total',
    help: 'Bytes sent, by protocol (TCP and WebSocket: on the socket; HTTP: response bodies)',
    labelNames: ['protocol'],
    registers,
    collect() {
      fromMap(this, 'protocol', counts.totals('bytesWritten'));
    },
  });
  new Counter({
    name: 'polyrpc_limit_rejections_total',
    help: 'Input refused or peers cut off by a limit, by protocol and limit',
    labelNames: ['protocol', 'limit'],
    registers,
    collect() {
      this.reset();
      for (const [key, n] of counts.limits) {
        const [protocol = '', limit = ''] = key.split('\0');
        this.inc({ protocol, limit }, n);
      }
    },
  });

  return {
    registry,
    observer: counts,
    contentType: registry.contentType,
    text: () => registry.metrics(),
  };
}
