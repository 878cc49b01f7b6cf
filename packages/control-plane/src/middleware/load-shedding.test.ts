import { describe, expect, it } from 'vitest';
import { createBareApp } from '../app.js';
import { createLogger } from '../logger.js';
import { loadShedding } from './load-shedding.js';
import { requestId } from './request-id.js';

/**
 * Adaptive throttling against a real app with a clock the test drives: the route's latency is
 * what the clock advances while it runs, so the p95 the middleware sees is exactly the one set.
 */
function harness(budgetMs = 150) {
  let clock = 0;
  let latency = 10;
  let dice = 0;
  const shedder = loadShedding({
    budgetMs,
    tickMs: 2000,
    buckets: 4,
    minSamples: 5,
    now: () => clock,
    random: () => dice,
    exempt: (path) => path === '/healthz',
  });
  const logger = createLogger({ level: 'silent' });
  const app = createBareApp(logger);
  app.use(requestId({ logger }), shedder);
  app.get('/work', (c) => {
    clock += latency;
    return c.json({ ok: true });
  });
  app.get('/healthz', (c) => c.json({ ok: true }));
  return {
    shedder,
    setLatency: (ms: number) => {
      latency = ms;
    },
    setDice: (value: number) => {
      dice = value;
    },
    /** `n` requests, each followed by `gapMs` of nothing; the statuses. */
    async drive(n: number, gapMs = 10, path = '/work') {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        const response = await app.request(path);
        statuses.push(response.status);
        if (response.status === 503) {
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          const body = await response.json();
          expect(body.error).toMatchObject({ code: 'ISOTYP_OVERLOADED', retryable: true, hint: expect.any(String) });
        }
        clock += gapMs;
      }
      return statuses;
    },
  };
}

describe('load shedding', () => {
  it('sheds nothing while the p95 stays within the budget', async () => {
    const h = harness();
    h.setLatency(100);
    expect((await h.drive(200)).every((s) => s === 200)).toBe(true);
    expect(h.shedder.share()).toBe(0);
  });

  it('sheds a growing share with 503 + Retry-After once the p95 is over budget, and stops after recovery', async () => {
    const h = harness();
    h.setLatency(400);
    // The dice always land under the share: every request the share covers is shed.
    h.setDice(0);
    const overloaded = await h.drive(60);
    expect(overloaded).toContain(503);
    expect(h.shedder.share()).toBeGreaterThan(0);
    // Health checks are never shed.
    expect(new Set(await h.drive(5, 10, '/healthz'))).toEqual(new Set([200]));

    // Latency falls well under the budget: the share decays to nothing and all get through.
    h.setLatency(20);
    h.setDice(0.999);
    await h.drive(1000);
    expect(h.shedder.share()).toBe(0);
    h.setDice(0);
    expect((await h.drive(20)).every((s) => s === 200)).toBe(true);
  });

  it('rides out one slow moment (a GC pause, a burst of handshakes) without shedding', async () => {
    const h = harness();
    h.setDice(0);
    await h.drive(100, 50);
    // One tick's worth of slow answers, then fast again.
    h.setLatency(500);
    await h.drive(4, 0);
    h.setLatency(10);
    const statuses = await h.drive(200, 50);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(h.shedder.share()).toBe(0);
  });

  it('never sheds everything: at most 90 %, so recovery can be seen', async () => {
    const h = harness();
    h.setLatency(1000);
    h.setDice(0.95);
    const statuses = await h.drive(300);
    expect(h.shedder.share()).toBeLessThanOrEqual(0.9);
    // With the dice at 0.95 above the 90 % cap, requests keep reaching the route.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
  });
});
