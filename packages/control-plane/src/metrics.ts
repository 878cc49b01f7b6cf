import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AppEnv } from './context.js';
import { routePattern } from './http/route-pattern.js';
import { HttpSeries, registerAtScrape } from './http-series.js';

export interface MetricsOptions {
  /** Also export the process metrics (CPU, memory, event loop lag, GC). */
  processMetrics?: boolean;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

export interface HttpMetrics {
  /** This app's registry (never prom-client's global one, so two apps in a process do not clash). */
  registry: Registry;
  /** Counts and times every request; mount it right after `requestId`. */
  middleware: MiddlewareHandler<AppEnv>;
  /**
   * Counts and times one answered request, for requests answered outside the middleware (it calls
   * this itself). Unknown methods count as `OTHER`; `route` must be a pattern, never a raw path.
   * Costs a few Map lookups: nothing is handed to prom-client until a scrape.
   *
   * @example
   * metrics.record('GET', '/v1/changes/:id', 200, 0.012);
   */
  record(method: string, route: string, status: number, seconds: number): void;
  /**
   * A request was received: `isotyp_http_requests_in_flight` counts it until {@link finished}.
   *
   * @example
   * metrics.started();
   * try { await answer() } finally { metrics.finished() }
   */
  started(): void;
  /** A request {@link started} was answered (or failed). */
  finished(): void;
}

/** Standard methods keep their name; anything else is one label value, not one per spelling. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Upper bounds, in seconds, of the request duration buckets the SLO rules count under. */
const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * HTTP metrics for one app, what the SLOs in `ops/prometheus/isotyp-slo-rules.yml` are computed
 * from: `isotyp_http_requests_total` (method, route pattern, status),
 * `isotyp_http_request_duration_seconds` (method, route pattern, status class `2xx`…`5xx`),
 * `isotyp_http_requests_in_flight`, `isotyp_agent_heartbeats_total` (outcome `accepted` or
 * `refused`) and the event loop's delay (`isotyp_event_loop_delay_p99_seconds`, `…_max_seconds`,
 * over the time since the last scrape). The route label is the pattern (`/v1/changes/:id`),
 * never the raw path, so the number of series stays bounded by the number of routes.
 * `isotyp_events_*` and `isotyp_webhook_*` are reserved for the event stream and webhooks.
 *
 * Requests are recorded as plain numbers ({@link HttpSeries}) and handed to prom-client only when
 * scraped: its own metrics hash a label object on every update, a measurable share of the CPU of
 * a busy control plane. The exposition is the one prom-client's Counter, Histogram and Gauge print.
 *
 * @example
 * const metrics = createMetrics();
 * app.use(metrics.middleware);
 * app.route('/', healthRoutes({ store, registry: metrics.registry }));
 */
export function createMetrics({
  processMetrics = false,
  now = () => performance.now(),
}: MetricsOptions = {}): HttpMetrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'isotyp_' });
  const series = new HttpSeries(DURATION_BUCKETS);
  registerAtScrape(registry, {
    name: 'isotyp_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    type: 'counter',
    samples: () => series.requestSamples(),
    reset: () => series.clear(),
  });
  // By status class, not status: the SLOs ask "how fast were the good answers", and buckets
  // times every status of every route would be most of the series this exports.
  registerAtScrape(registry, {
    name: 'isotyp_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to answering it, by method, route pattern and status class.',
    type: 'histogram',
    samples: (name) => series.durationSamples(name),
    reset: () => series.clear(),
  });
  let inFlight = 0;
  new Gauge({
    name: 'isotyp_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered.',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  const heartbeats = heartbeatCounter(registry);
  eventLoopDelay(registry);

  const record = (method: string, route: string, status: number, seconds: number): void => {
    const known = KNOWN_METHODS.has(method) ? method : 'OTHER';
    series.record(known, route, status, seconds);
    if (route === HEARTBEAT_ROUTE && known === 'POST') heartbeats.count(status < 300);
  };
  const started = (): void => {
    inFlight++;
  };
  const finished = (): void => {
    inFlight--;
  };
  const middleware: MiddlewareHandler<AppEnv> = async function metricsMiddleware(c, next) {
    const startedAt = now();
    started();
    try {
      await next();
    } finally {
      finished();
    }
    record(c.req.method, routePattern(c), c.res.status, (now() - startedAt) / 1000);
  };
  return { registry, middleware, record, started, finished };
}

const HEARTBEAT_ROUTE = '/v1/agent/heartbeat';

/**
 * `isotyp_agent_heartbeats_total` by outcome, both printed from the start (0) so a rate over
 * refusals exists before the first one. Kept as two numbers: agents heartbeat often.
 */
function heartbeatCounter(registry: Registry): { count(accepted: boolean): void } {
  let accepted = 0;
  let refused = 0;
  // One labels object per outcome for the life of the app, as prom-client keeps per series.
  const acceptedLabels = { outcome: 'accepted' };
  const refusedLabels = { outcome: 'refused' };
  registerAtScrape(registry, {
    name: 'isotyp_agent_heartbeats_total',
    help: 'Agent heartbeats received, by outcome: accepted (2xx) or refused.',
    type: 'counter',
    samples: () => [
      { labels: acceptedLabels, value: accepted },
      { labels: refusedLabels, value: refused },
    ],
    // Zeroed rather than forgotten: both outcomes are always printed.
    reset: () => {
      accepted = 0;
      refused = 0;
    },
  });
  return {
    count(wasAccepted) {
      if (wasAccepted) accepted++;
      else refused++;
    },
  };
}

/** Sampling interval of the event loop monitor; subtracted, so an idle loop reports ~0. */
const LOOP_RESOLUTION_MS = 10;

/**
 * The event loop's delay since the previous scrape (p99 and max), the control plane's saturation
 * signal. The monitor starts at the first scrape, so apps nobody scrapes (tests) pay nothing; it
 * does not keep the process alive.
 */
function eventLoopDelay(registry: Registry): void {
  let monitor: IntervalHistogram | undefined;
  const read = (pick: (h: IntervalHistogram) => number) => {
    if (monitor === undefined) {
      monitor = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      monitor.enable();
      return 0;
    }
    const value = monitor.count === 0 ? 0 : Math.max(0, pick(monitor) / 1e9 - LOOP_RESOLUTION_MS / 1000);
    return value;
  };
  // Both are read in one scrape: the window restarts after the second. Several workers (see
  // cluster/) report their worst, not a sum.
  new Gauge({
    name: 'isotyp_event_loop_delay_p99_seconds',
    help: 'Event loop delay beyond its sampling interval, 99th percentile since the last scrape.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set(read((h) => h.percentile(99)));
    },
  });
  new Gauge({
    name: 'isotyp_event_loop_delay_max_seconds',
    help: 'Event loop delay beyond its sampling interval, maximum since the last scrape.',
    registers: [registry],
    aggregator: 'max',
    collect() {
      this.set(read((h) => h.max));
      monitor?.reset();
    },
  });
}
