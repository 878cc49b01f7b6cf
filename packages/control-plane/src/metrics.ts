import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { MiddlewareHandler } from 'hono';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AppEnv } from './context.js';
import { routePattern } from './http/route-pattern.js';

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
}

/** Standard methods keep their name; anything else is one label value, not one per spelling. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

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
  const requests = new Counter({
    name: 'isotyp_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  // By status class, not status: the SLOs ask "how fast were the good answers", and buckets
  // times every status of every route would be most of the series this exports.
  const duration = new Histogram({
    name: 'isotyp_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to answering it, by method, route pattern and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'isotyp_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered.',
    registers: [registry],
  });
  const heartbeats = new Counter({
    name: 'isotyp_agent_heartbeats_total',
    help: 'Agent heartbeats received, by outcome: accepted (2xx) or refused.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['accepted', 'refused']) heartbeats.inc({ outcome }, 0);
  eventLoopDelay(registry);

  const middleware: MiddlewareHandler<AppEnv> = async function metricsMiddleware(c, next) {
    const started = now();
    inFlight.inc();
    try {
      await next();
    } finally {
      inFlight.dec();
    }
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER';
    const route = routePattern(c);
    const status = c.res.status;
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, (now() - started) / 1000);
    if (route === HEARTBEAT_ROUTE && method === 'POST') {
      heartbeats.inc({ outcome: status < 300 ? 'accepted' : 'refused' });
    }
  };
  return { registry, middleware };
}

const HEARTBEAT_ROUTE = '/v1/agent/heartbeat';
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
  // Both are read in one scrape: the window restarts after the second.
  new Gauge({
    name: 'isotyp_event_loop_delay_p99_seconds',
    help: 'Event loop delay beyond its sampling interval, 99th percentile since the last scrape.',
    registers: [registry],
    collect() {
      this.set(read((h) => h.percentile(99)));
    },
  });
  new Gauge({
    name: 'isotyp_event_loop_delay_max_seconds',
    help: 'Event loop delay beyond its sampling interval, maximum since the last scrape.',
    registers: [registry],
    collect() {
      this.set(read((h) => h.max));
      monitor?.reset();
    },
  });
}
