import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { errorResponse } from '../http/error-response.js';

export interface LoadSheddingOptions {
  /** The p95 latency the replica must keep (the budget: 150 ms). */
  budgetMs: number;
  /** Requests never shed nor measured: health checks, metrics, long-lived streams. */
  exempt?: (path: string) => boolean;
  /** How often the share shed is adjusted (and the span of one bucket of the window). */
  tickMs?: number;
  /** Buckets the p95 is taken over (window = tickMs · buckets). */
  buckets?: number;
  /** Fewer answers than this in the window say nothing about latency. */
  minSamples?: number;
  /**
   * Ticks in a row each over the budget before the share grows: one slow moment (a GC pause, a
   * burst of TLS handshakes) is not overload; a standing queue is.
   */
  sustainTicks?: number;
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number;
  /** 0 ≤ x < 1; injectable for tests. */
  random?: () => number;
}

/** Largest share of requests shed: some always get through, so recovery shows in the latency. */
const MAX_SHARE = 0.9;
const STEP_UP = 0.1;
const STEP_DOWN = 0.05;
/** Answers measured per bucket at most: enough for a p95, bounded work per tick under any load. */
const MAX_BUCKET_SAMPLES = 2000;

/**
 * Adaptive throttling: keeps the replica within its latency budget by refusing part of the
 * load early, before a body is read or a credential checked, with 503 ISOTYP_OVERLOADED and
 * Retry-After — cheaper for everyone than letting every request queue behind the others and
 * all of them miss the budget.
 *
 * Every `tickMs` it looks at the p95 of what it answered: over the budget in each of the last
 * `sustainTicks` ticks, it sheds a larger share (up to 90 %); over the last `buckets` ticks
 * comfortably below it (80 %), a smaller one. Between, it holds. Per replica, on purpose: a replica only knows its own latency, and
 * the load balancer sends the refused client's retry to whichever replica has room.
 *
 * @example
 * app.use(loadShedding({ budgetMs: 150, exempt: (path) => path === '/healthz' }));
 */
export function loadShedding({
  budgetMs,
  exempt = () => false,
  tickMs = 250,
  buckets = 8,
  minSamples = 20,
  sustainTicks = 4,
  now = () => performance.now(),
  random = Math.random,
}: LoadSheddingOptions): MiddlewareHandler<AppEnv> & { share(): number } {
  const window: number[][] = [[]];
  let share = 0;
  let tickAt = now();

  const p95 = (samples: number[], least: number): number | undefined => {
    if (samples.length < least) return undefined;
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
  };
  const perBucket = Math.max(3, Math.ceil(minSamples / buckets));
  let overTicks = 0;
  const tick = (at: number) => {
    // Ticks missed while idle each count: an idle replica has no latency to worry about.
    while (at - tickAt >= tickMs) {
      tickAt += tickMs;
      const last = p95(window.at(-1) as number[], perBucket);
      overTicks = last !== undefined && last > budgetMs ? overTicks + 1 : 0;
      const observed = p95(window.flat(), minSamples);
      if (overTicks >= sustainTicks) share = Math.min(MAX_SHARE, share + STEP_UP);
      else if (observed === undefined || observed < budgetMs * 0.8) share = Math.max(0, share - STEP_DOWN);
      window.push([]);
      if (window.length > buckets) window.shift();
      if (at - tickAt > tickMs * buckets) {
        // A long quiet spell: nothing older than the window matters.
        tickAt = at;
        window.splice(0, window.length, []);
        share = 0;
        overTicks = 0;
      }
    }
  };

  const middleware = async function loadSheddingMiddleware(c, next) {
    if (exempt(c.req.path)) return next();
    const start = now();
    tick(start);
    if (share > 0 && random() < share) {
      const retryAfter = 1 + Math.floor(random() * 2);
      return errorResponse(
        c,
        new IsotypError('ISOTYP_OVERLOADED', 'The control plane is over its latency budget and shed this request.', {
          hint: `Retry after ${retryAfter} s; the answer will come from a replica with room.`,
          details: { retryAfterSeconds: retryAfter },
        }),
        { retryAfterSeconds: retryAfter },
      );
    }
    try {
      await next();
    } finally {
      const bucket = window.at(-1) as number[];
      if (bucket.length < MAX_BUCKET_SAMPLES) bucket.push(now() - start);
    }
  } as MiddlewareHandler<AppEnv> & { share(): number };
  middleware.share = () => share;
  return middleware;
}
