import { Hono } from 'hono';
import { register } from 'prom-client';
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

  it('gives every app its own registry and leaves the global one alone', async () => {
    const first = createMetrics();
    const second = createMetrics({ processMetrics: true });
    expect(first.registry).not.toBe(second.registry);
    expect(await first.registry.metrics()).not.toContain('process_cpu');
    expect(await second.registry.metrics()).toContain('isotyp_process_cpu_seconds_total');
    expect(await register.metrics()).not.toContain('isotyp_http_requests_total');
  });
});
