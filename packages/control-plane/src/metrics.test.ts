import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry, register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from './context.js';
import { createMetrics } from './metrics.js';
import { hygieneApp, tempStore } from './middleware/test-support/hygiene-app.js';
import type { Store } from './storage/store.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

describe('createMetrics', () => {
  it('labels requests by route pattern, never the raw path', async () => {
    const { app } = hygieneApp({ store });
    await app.request('/v1/items/itm_1');
    await app.request('/v1/items/itm_2?token=x');
    await app.request('/v1/nowhere/itm_3');
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('isotyp_http_requests_total{method="GET",route="/v1/items/:id",status="200"} 2');
    expect(text).toContain('isotyp_http_requests_total{method="GET",route="(unmatched)",status="404"} 1');
    expect(text).toMatch(
      /isotyp_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/items\/:id"/,
    );
    expect(text).not.toMatch(/itm_\d|token/);
  });

  it('counts refusals made by middleware under the route they were aimed at', async () => {
    const { app } = hygieneApp({ store });
    await app.request('/v1/echo', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('isotyp_http_requests_total{method="POST",route="/v1/echo",status="415"} 1');
  });

  it('folds unknown methods into one label', async () => {
    const { app } = hygieneApp({ store });
    await app.request('/v1/items/1', { method: 'PROPFIND' });
    expect(await (await app.request('/metrics')).text()).toContain('method="OTHER"');
  });

  it('times by status class, counts heartbeats by outcome and exports the event loop delay', async () => {
    const metrics = createMetrics();
    const app = new Hono<AppEnv>();
    app.use(metrics.middleware);
    let accept = true;
    app.post('/v1/agent/heartbeat', (c) => (accept ? c.json({}) : c.json({}, 401)));
    await app.request('/v1/agent/heartbeat', { method: 'POST' });
    await app.request('/v1/agent/heartbeat', { method: 'POST' });
    accept = false;
    await app.request('/v1/agent/heartbeat', { method: 'POST' });
    await metrics.registry.metrics(); // the first scrape starts the event loop monitor
    const text = await metrics.registry.metrics();
    expect(text).toContain('isotyp_agent_heartbeats_total{outcome="accepted"} 2');
    expect(text).toContain('isotyp_agent_heartbeats_total{outcome="refused"} 1');
    expect(text).toMatch(
      /isotyp_http_request_duration_seconds_count\{method="POST",route="\/v1\/agent\/heartbeat",status_class="4xx"\} 1/,
    );
    expect(text).toContain('isotyp_http_requests_in_flight 0');
    expect(text).toMatch(/^isotyp_event_loop_delay_p99_seconds \d/m);
    expect(text).toMatch(/^isotyp_event_loop_delay_max_seconds \d/m);
  });

  it("prints exactly what prom-client's own Counter, Histogram and Gauge would print", async () => {
    const metrics = createMetrics();
    const reference = referenceMetrics();
    // Several routes, methods and statuses; durations exactly on a bound (0.1, 10), between
    // bounds, below the first and above the last, and statuses sharing a class.
    const requests: [method: string, route: string, status: number, seconds: number][] = [
      ['GET', '/v1/items/:id', 200, 0.1],
      ['GET', '/v1/items/:id', 200, 0.0004],
      ['POST', '/v1/items', 201, 0.3],
      ['GET', '/v1/items/:id', 404, 10],
      ['GET', '/v1/items/:id', 200, 12.5],
      ['POST', '/v1/items', 500, 0.07],
      ['PROPFIND', '/v1/items/:id', 405, 0.001],
      ['POST', '/v1/items', 200, 0.15],
      ['POST', '/v1/agent/heartbeat', 200, 0.002],
      ['POST', '/v1/agent/heartbeat', 401, 0.003],
      ['POST', '/v1/agent/heartbeat', 204, 0.004],
      ['GET', '/v1/agent/heartbeat', 405, 0.001],
    ];
    for (const [method, route, status, seconds] of requests) {
      metrics.record(method, route, status, seconds);
      reference.record(method, route, status, seconds);
    }
    metrics.started();
    metrics.started();
    metrics.finished();
    reference.inFlight.inc(1);

    for (const name of [
      'isotyp_http_requests_total',
      'isotyp_http_request_duration_seconds',
      'isotyp_http_requests_in_flight',
      'isotyp_agent_heartbeats_total',
    ]) {
      const expected = await reference.registry.getSingleMetricAsString(name);
      expect(await metrics.registry.getSingleMetricAsString(name)).toBe(expected);
    }
    // Guards the comparison itself: the reference saw what the lines above claim.
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'isotyp_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/items/:id",status_class="2xx"} 2',
    );
    expect(text).toContain(
      'isotyp_http_request_duration_seconds_bucket{le="10",method="GET",route="/v1/items/:id",status_class="2xx"} 2',
    );
    expect(text).toContain(
      'isotyp_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/items/:id",status_class="2xx"} 3',
    );
    expect(text).toContain('isotyp_http_requests_total{method="OTHER",route="/v1/items/:id",status="405"} 1');
    expect(text).toContain('isotyp_agent_heartbeats_total{outcome="accepted"} 2');
    expect(text).toContain('isotyp_http_requests_in_flight 1');
  });

  it('times a request from before the handlers run to after they answered', async () => {
    let clock = 1_000;
    const metrics = createMetrics({ now: () => clock });
    const app = new Hono<AppEnv>();
    app.use(metrics.middleware);
    app.get('/v1/slow', (c) => {
      clock += 250;
      return c.text('ok');
    });
    await app.request('/v1/slow');
    const text = await metrics.registry.metrics();
    const series = 'method="GET",route="/v1/slow",status_class="2xx"';
    expect(text).toContain(`isotyp_http_request_duration_seconds_bucket{le="0.15",${series}} 0`);
    expect(text).toContain(`isotyp_http_request_duration_seconds_bucket{le="0.25",${series}} 1`);
    expect(text).toContain(`isotyp_http_request_duration_seconds_sum{${series}} 0.25`);
  });

  it('refuses a duration that is not a number without counting the request', async () => {
    const metrics = createMetrics();
    expect(() => metrics.record('GET', '/v1/items', 200, Number.NaN)).toThrow(TypeError);
    expect(await metrics.registry.metrics()).not.toContain('route="/v1/items"');
  });

  it('forgets the request series when the registry is reset, as prom-client does', async () => {
    const metrics = createMetrics();
    metrics.record('GET', '/v1/items', 200, 0.01);
    metrics.registry.resetMetrics();
    metrics.record('POST', '/v1/items', 201, 0.01);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('method="GET"');
    expect(text).toContain('isotyp_http_requests_total{method="POST",route="/v1/items",status="201"} 1');
    expect(await metrics.registry.getMetricsAsJSON()).toContainEqual(
      expect.objectContaining({
        name: 'isotyp_http_request_duration_seconds',
        values: expect.arrayContaining([
          expect.objectContaining({
            metricName: 'isotyp_http_request_duration_seconds_count',
            labels: { method: 'POST', route: '/v1/items', status_class: '2xx' },
            value: 1,
          }),
        ]),
      }),
    );
  });

  it('gives every app its own registry and leaves the global one alone', async () => {
    const first = createMetrics();
    const second = createMetrics({ processMetrics: true });
    expect(first.registry).not.toBe(second.registry);
    expect(await first.registry.metrics()).not.toContain('process_cpu');
    expect(await second.registry.metrics()).toContain('isotyp_process_cpu_seconds_total');
    expect(await register.metrics()).not.toContain('isotyp_http_requests_total');
  });
});

/** The metrics as prom-client's own classes keep them: what the exposition must match. */
function referenceMetrics() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'isotyp_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
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
  const record = (rawMethod: string, route: string, status: number, seconds: number) => {
    const method = ['GET', 'POST'].includes(rawMethod) ? rawMethod : 'OTHER';
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
    if (route === '/v1/agent/heartbeat' && method === 'POST') {
      heartbeats.inc({ outcome: status < 300 ? 'accepted' : 'refused' });
    }
  };
  return { registry, inFlight, record };
}
