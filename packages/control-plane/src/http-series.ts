import type { Metric, Registry } from 'prom-client';

/** Label values; the registry prints them in the object's key order, so build them in label order. */
export type Labels = Readonly<Record<string, string | number>>;

/** One exposition line, in the shape prom-client's `Registry` formats (see its `getMetricsAsString`). */
export interface Sample {
  /** The line's own labels; on a histogram's bucket lines just `le`, printed first. */
  labels: Labels;
  /**
   * Printed after `labels`. A histogram's series labels go here, one object per series, because
   * the registry caches their printing by object identity: thirteen bucket lines print them once.
   */
  sharedLabels?: Labels;
  value: number;
  /** The metric's name unless set; a histogram's lines are its `_bucket`, `_sum` and `_count`. */
  metricName?: string;
}

/** Series kept outside prom-client, read only when scraped. */
export interface ScrapeTimeMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  /** The current lines; `name` is the metric's name as the registry prints it. */
  samples(name: string): Sample[];
  /** Forgets every series, as prom-client's own `reset()` does (`registry.resetMetrics()`). */
  reset(): void;
}

/**
 * Exposes series kept as plain numbers through a prom-client registry, printed exactly as its own
 * Counter or Histogram would print them. prom-client's metrics hash their label object on every
 * update, which a per-request metric pays on every request; the registry itself only asks a metric
 * for `name`, `help`, `type`, `aggregator`, `getForPromString()`/`get()` and `reset()`, so series
 * kept elsewhere cost nothing until a scrape.
 *
 * @example
 * registerAtScrape(registry, {
 *   name: 'jobs_total', help: 'Jobs run.', type: 'counter',
 *   samples: () => [{ labels: { queue: 'mail' }, value: mailJobs }],
 *   reset: () => { mailJobs = 0 },
 * });
 */
export function registerAtScrape(registry: Registry, metric: ScrapeTimeMetric): void {
  // The typings accept only prom-client's own classes; the registry is duck-typed.
  registry.registerMetric(new ScrapeTimeExport(metric) as unknown as Metric);
}

/** What prom-client's `Registry` (and, through `get()`, its cluster aggregator) calls on a metric. */
class ScrapeTimeExport {
  /** Mutable: an OpenMetrics registry renames counters (drops `_total`) before printing them. */
  name: string;
  readonly help: string;
  readonly type: ScrapeTimeMetric['type'];
  readonly aggregator = 'sum';

  constructor(private readonly metric: ScrapeTimeMetric) {
    this.name = metric.name;
    this.help = metric.help;
    this.type = metric.type;
  }

  async getForPromString() {
    const { name, help, type, aggregator } = this;
    return { name, help, type, aggregator, values: this.metric.samples(name) };
  }

  /** For `registry.getMetricsAsJSON()`: prom-client merges the shared labels into each line's. */
  async get() {
    const data = await this.getForPromString();
    const values = data.values.map(({ labels, sharedLabels, ...line }) => ({
      ...line,
      labels: { ...labels, ...sharedLabels },
    }));
    return { ...data, values };
  }

  reset(): void {
    this.metric.reset();
  }
}

/** One histogram series: counts per bucket (not cumulative), like prom-client's own. */
interface Timing {
  readonly labels: Labels;
  /** Float64, not Uint32: a busy route passes 2³² requests within weeks. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** One counter series, linked to the histogram series its requests are timed in. */
interface Requests {
  readonly labels: Labels;
  count: number;
  readonly timing: Timing;
}

/**
 * The HTTP request counter (by method, route, status) and duration histogram (by method, route,
 * status class) as plain numbers. Recording a request is three Map lookups and a walk along the
 * bucket bounds: no label object, no string built; label objects are built once per series, on
 * its first request. Read through {@link requestSamples} and {@link durationSamples} at scrape time.
 *
 * @example
 * const series = new HttpSeries([0.1, 1]);
 * series.record('GET', '/v1/items/:id', 200, 0.042);
 * registerAtScrape(registry, { name: 'http_requests_total', help: '…', type: 'counter',
 *   samples: () => series.requestSamples(), reset: () => series.clear() });
 */
export class HttpSeries {
  // Route → method → status rather than one `${method} ${route} ${status}` key: a key built per
  // request is a fresh string hashed on every lookup (~150 ns a request, measured), while route
  // patterns and method names arrive as the same string objects, their hashes cached by V8, and
  // a status is a small integer.
  private readonly byRoute = new Map<string, Map<string, Map<number, Requests>>>();
  /** Every request series in the order first seen, the order prom-client prints them in. */
  private readonly requests: Requests[] = [];
  // Only looked up on a request series' first request, so a built key costs nothing per request.
  // `${method} ${route} ${status class}`: unambiguous, as method names (HTTP tokens) and status
  // classes hold no space.
  private readonly timings = new Map<string, Timing>();

  /** @param bounds the histogram's bucket upper bounds in seconds, ascending; `+Inf` is implied. */
  constructor(private readonly bounds: readonly number[]) {}

  /** Counts one answered request and times it; throws on a non-finite duration, as prom-client. */
  record(method: string, route: string, status: number, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    const requests = this.byRoute.get(route)?.get(method)?.get(status) ?? this.addRequests(method, route, status);
    requests.count += 1;
    const timing = requests.timing;
    timing.sum += seconds;
    timing.count += 1;
    const bucket = bucketIndex(this.bounds, seconds);
    // Above the last bound: only the implied +Inf bucket, which is the count.
    if (bucket < this.bounds.length) timing.buckets[bucket] = (timing.buckets[bucket] ?? 0) + 1;
  }

  /** The counter's lines, in the order the series were first seen (prom-client's order). */
  requestSamples(): Sample[] {
    return this.requests.map(({ labels, count }) => ({ labels, value: count }));
  }

  /** The histogram's lines, as prom-client prints them: cumulative buckets, `+Inf`, sum, count. */
  durationSamples(name: string): Sample[] {
    const lines: Sample[] = [];
    for (const timing of this.timings.values()) {
      const { labels: sharedLabels, buckets, sum, count } = timing;
      let cumulative = 0;
      for (const [i, le] of this.bounds.entries()) {
        cumulative += buckets[i] ?? 0;
        lines.push({ labels: { le }, sharedLabels, value: cumulative, metricName: `${name}_bucket` });
      }
      lines.push(
        { labels: { le: '+Inf' }, sharedLabels, value: count, metricName: `${name}_bucket` },
        { labels: {}, sharedLabels, value: sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels, value: count, metricName: `${name}_count` },
      );
    }
    return lines;
  }

  /** Forgets both metrics' series: each request series holds its timing series, so they go together. */
  clear(): void {
    this.byRoute.clear();
    this.requests.length = 0;
    this.timings.clear();
  }

  /** A request series' first request. */
  private addRequests(method: string, route: string, status: number): Requests {
    const byMethod = getOrAdd(this.byRoute, route, () => new Map<string, Map<number, Requests>>());
    const byStatus = getOrAdd(byMethod, method, () => new Map<number, Requests>());
    const labels = { method, route, status: String(status) };
    const requests: Requests = { labels, count: 0, timing: this.timingFor(method, route, status) };
    byStatus.set(status, requests);
    this.requests.push(requests);
    return requests;
  }

  /** The timing series of a status's class; it exists already if another status of the class was seen. */
  private timingFor(method: string, route: string, status: number): Timing {
    const statusClass = `${Math.floor(status / 100)}xx`;
    return getOrAdd(this.timings, `${method} ${route} ${statusClass}`, () => ({
      labels: { method, route, status_class: statusClass },
      buckets: new Float64Array(this.bounds.length),
      sum: 0,
      count: 0,
    }));
  }
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** The first bucket whose upper bound is at least `value` (bounds are inclusive, `le`); `bounds.length` if none. */
function bucketIndex(bounds: readonly number[], value: number): number {
  let i = 0;
  for (const bound of bounds) {
    if (value <= bound) return i;
    i++;
  }
  return i;
}
