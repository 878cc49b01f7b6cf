import type { MiddlewareHandler } from 'hono';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
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
 * HTTP metrics for one app: `isotyp_http_requests_total` and
 * `isotyp_http_request_duration_seconds`, labelled by method, route pattern and status. The
 * route label is the pattern (`/v1/changes/:id`), never the raw path, so the number of series
 * stays bounded by the number of routes.
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
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'isotyp_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'isotyp_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to answering it, by method, route pattern and status.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const middleware: MiddlewareHandler<AppEnv> = async function metricsMiddleware(c, next) {
    const started = now();
    await next();
    const labels = {
      method: KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER',
      route: routePattern(c),
      status: String(c.res.status),
    };
    requests.inc(labels);
    duration.observe(labels, (now() - started) / 1000);
  };
  return { registry, middleware };
}
