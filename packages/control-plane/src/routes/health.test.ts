import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareApp } from '../app.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { hygieneApp, tempStore } from '../middleware/test-support/hygiene-app.js';
import type { Store } from '../storage/store.js';
import { healthRoutes } from './health.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

describe('healthRoutes', () => {
  it('answers /healthz and /readyz while the store answers', async () => {
    const { app } = hygieneApp({ store });
    const health = await app.request('/healthz');
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await app.request('/readyz');
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('serves Prometheus text on /metrics', async () => {
    const { app } = hygieneApp({ store });
    await app.request('/healthz');
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('isotyp_http_requests_total{method="GET",route="/healthz",status="200"} 1');
  });

  it('answers /readyz 503 ISOTYP_UNAVAILABLE when the store is closed, /healthz still 200', async () => {
    const closed = await tempStore();
    const { app } = hygieneApp({ store: closed.store });
    await closed.store.close();
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ISOTYP_UNAVAILABLE');
    expect((await app.request('/healthz')).status).toBe(200);
    await closed.dispose();
  });

  it('answers /readyz 503 when the ping does not come back in time', async () => {
    // SQLite cannot hang asynchronously (better-sqlite3 blocks), so only ping is replaced here:
    // a database that accepts the connection and never answers.
    const hanging: Store = Object.assign(Object.create(store) as Store, { ping: () => new Promise<boolean>(() => {}) });
    const app = createBareApp(createLogger({ level: 'silent' }));
    app.route('/', healthRoutes({ store: hanging, registry: createMetrics().registry, readyTimeoutMs: 50 }));
    // Without the timeout this request would never finish.
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
  });
});
