import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBareApp } from '../app.js';
import { createLogger } from '../logger.js';
import { type LoadSheddingOptions, loadShedding } from './load-shedding.js';
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

const TICK_MS = 100;

/**
 * The shedder alone, through `admit` and `record`: each `tick` records one tick's answers, then
 * moves the clock on and admits a request, which judges them. The dice never shed unless set.
 */
function bare(options: Partial<LoadSheddingOptions> = {}) {
  let clock = 0;
  let dice = 0.999;
  const shedder = loadShedding({
    budgetMs: 150,
    tickMs: TICK_MS,
    buckets: 4,
    minSamples: 20,
    sustainTicks: 4,
    now: () => clock,
    random: () => dice,
    exempt: (path) => path === '/healthz',
    ...options,
  });
  return {
    shedder,
    setDice: (value: number) => {
      dice = value;
    },
    /** The clock now, to admit at. */
    at: () => clock,
    idle: (ms: number) => {
      clock += ms;
    },
    /** Records `samples` as one tick's answers, `times` ticks in a row, each judged as it ends. */
    tick(samples: number[], times = 1) {
      for (let i = 0; i < times; i++) {
        for (const ms of samples) shedder.record(ms);
        clock += TICK_MS;
        shedder.admit('/work', clock);
      }
    },
  };
}

/** 100 answers: 95 fast ones and `slow` of `slowMs`, so the p95 (the 96th) is `slowMs` iff slow ≥ 5. */
function answers(slowMs: number, slow = 5): number[] {
  return [...Array<number>(100 - slow).fill(10), ...Array<number>(slow).fill(slowMs)];
}

/** The p95 as sorting every sample takes it: the reference the counts must agree with. */
function sortedP95(samples: number[], least: number): number | undefined {
  if (samples.length < least) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
}

describe('load shedding decisions at the boundary', () => {
  it('grows the share when the p95 is just over the budget, and only after sustainTicks such ticks', () => {
    const s = bare();
    s.tick(answers(150.01), 3);
    expect(s.shedder.share()).toBe(0);
    s.tick(answers(150.01));
    expect(s.shedder.share()).toBeCloseTo(0.1);
  });

  it('holds when the p95 is exactly the budget: over means over', () => {
    const s = bare();
    s.tick(answers(150), 8);
    expect(s.shedder.share()).toBe(0);
  });

  it('reads the p95 by rank: 5 slow answers in 100 are the p95, 4 are not', () => {
    const four = bare();
    four.tick(answers(1000, 4), 8);
    expect(four.shedder.share()).toBe(0);
    const five = bare();
    five.tick(answers(1000, 5), 4);
    expect(five.shedder.share()).toBeCloseTo(0.1);
  });

  it('eases once the whole window is just under 80 % of the budget, and holds at 80 %', () => {
    for (const [p95, after4, after6] of [
      [119.99, 0.05, 0],
      [120, 0.1, 0.1],
    ] as const) {
      const s = bare();
      s.tick(Array<number>(100).fill(1000), 4);
      expect(s.shedder.share()).toBeCloseTo(0.1);
      // The slow ticks stay in the 4-tick window for 3 more ticks: no easing while they do.
      s.tick(answers(p95), 3);
      expect(s.shedder.share()).toBeCloseTo(0.1);
      s.tick(answers(p95));
      expect(s.shedder.share()).toBeCloseTo(after4);
      s.tick(answers(p95), 2);
      expect(s.shedder.share()).toBeCloseTo(after6);
    }
  });

  it('takes a tick with fewer answers than its share of minSamples as saying nothing', () => {
    // minSamples 20 over 4 buckets: 5 answers a tick at least.
    const few = bare();
    few.tick([1000, 1000, 1000, 1000], 8);
    expect(few.shedder.share()).toBe(0);
    const enough = bare();
    enough.tick([1000, 1000, 1000, 1000, 1000], 4);
    expect(enough.shedder.share()).toBeCloseTo(0.1);
  });

  it('decides exactly as the p95 of the sorted samples would, for any samples', () => {
    const budgetMs = 150;
    const near = fc.constantFrom(119.99, 120, 120.01, 149.99, 150, 150.01);
    const sample = fc.oneof(near, fc.double({ min: 0, max: 400, noNaN: true }));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 60 }), fc.integer({ min: 0, max: 10 }), (samples, minSamples) => {
        // One bucket, one tick to act: every tick is judged on its own answers alone.
        const s = bare({ budgetMs, buckets: 1, minSamples, sustainTicks: 1 });
        s.tick(Array<number>(20).fill(1000));
        expect(s.shedder.share()).toBeCloseTo(0.1);
        s.tick(samples);
        const last = sortedP95(samples, Math.max(3, minSamples));
        const window = sortedP95(samples, minSamples);
        const expected =
          last !== undefined && last > budgetMs ? 0.2 : window === undefined || window < budgetMs * 0.8 ? 0.05 : 0.1;
        expect(s.shedder.share()).toBeCloseTo(expected);
      }),
    );
  });

  it('forgets everything after a quiet spell longer than the window', () => {
    const s = bare();
    s.tick(answers(1000), 6);
    expect(s.shedder.share()).toBeGreaterThan(0);
    s.idle(TICK_MS * 5);
    s.tick([]);
    expect(s.shedder.share()).toBe(0);
  });
});

describe('admit and record without the middleware', () => {
  it('sheds with a Retry-After of 1–2 s once the recorded durations are over budget', () => {
    const s = bare({ sustainTicks: 1 });
    s.setDice(0);
    expect(s.shedder.admit('/work', s.at())).toBeUndefined();
    s.tick(answers(1000), 7);
    expect(s.shedder.share()).toBeCloseTo(0.7);
    expect(s.shedder.admit('/work', s.at())).toEqual({ retryAfterSeconds: 1 });
    // The same dice pick whether to shed (0.6 < 0.7) and the Retry-After (1 + ⌊0.6 · 2⌋).
    s.setDice(0.6);
    expect(s.shedder.admit('/work', s.at())).toEqual({ retryAfterSeconds: 2 });
    // Above the share: served.
    s.setDice(0.75);
    expect(s.shedder.admit('/work', s.at())).toBeUndefined();
  });

  it('never sheds an exempt path', () => {
    const s = bare({ sustainTicks: 1 });
    s.tick(answers(1000), 3);
    s.setDice(0);
    expect(s.shedder.admit('/healthz', s.at())).toBeUndefined();
    expect(s.shedder.admit('/work', s.at())).toBeDefined();
  });

  it('counts fast records too: they keep a slow minority under the p95', () => {
    const s = bare({ sustainTicks: 1 });
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) s.shedder.record(1000);
      for (let j = 0; j < 96; j++) s.shedder.record(1);
      s.tick([]);
    }
    expect(s.shedder.share()).toBe(0);
  });
});
