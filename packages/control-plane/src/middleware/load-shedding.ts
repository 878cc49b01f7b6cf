import { IsotypError } from '@isotyp/protocol';
import type { Context, MiddlewareHandler } from 'hono';
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

/** What to tell a shed request: when to come back. */
export interface Refusal {
  retryAfterSeconds: number;
}

/** The middleware, and the same decisions without it for a step that fuses per-request duties. */
export type LoadShedder = MiddlewareHandler<AppEnv> & {
  /** The share of requests shed now (0 … 0.9). */
  share(): number;
  /**
   * Whether to shed one request arriving at `at` (the `now` clock): a refusal to answer 503
   * ISOTYP_OVERLOADED with, or undefined to serve it. Exempt paths are never shed.
   *
   * @example
   * const start = performance.now();
   * const refusal = shedder.admit(c.req.path, start);
   * if (refusal) return overloadedAnswer(refusal.retryAfterSeconds);
   */
  admit(path: string, at: number): Refusal | undefined;
  /**
   * Counts one answered request's duration (ms, on the `now` clock) towards the latency the share
   * follows. Only for paths that are not `exempt`: a long-lived stream's hour would read as overload.
   *
   * @example
   * try {
   *   await next();
   * } finally {
   *   if (!exempt(c.req.path)) shedder.record(performance.now() - start);
   * }
   */
  record(ms: number): void;
};

/** Largest share of requests shed: some always get through, so recovery shows in the latency. */
const MAX_SHARE = 0.9;
const STEP_UP = 0.1;
const STEP_DOWN = 0.05;
/** The p95 must fall below this fraction of the budget before the share eases: no flapping. */
const EASE_BELOW = 0.8;

/**
 * One tick's answers, split at the only two latencies any decision turns on. The p95 is never
 * needed as a number — only whether it is over the budget, or under 80 % of it — and those two
 * questions are answered exactly by counts at those marks (see `p95Among`). It is a histogram
 * with its two bin edges where the decisions are, so its worst-case error is none: finer,
 * log-spaced bins would cost more and could only round a p95 near the budget to the wrong side.
 * Recording an answer is three comparisons and no allocation, so every answer counts: the cap
 * raw samples needed to bound the per-tick sort is gone.
 */
interface Bucket {
  answers: number;
  /** Slower than the budget. */
  overBudget: number;
  /** At or above 80 % of the budget: these hold the share from easing. */
  notEasy: number;
}

const emptyBucket = (): Bucket => ({ answers: 0, overBudget: 0, notEasy: 0 });

/**
 * Whether the p95 of `answers` samples is one of `count` samples past a mark. The p95 was the
 * sample at index ⌊0.95·n⌋ of the sorted samples, so the sorted tail from it on holds n − ⌊0.95·n⌋
 * of them (5 in 100): the p95 is past the mark exactly when at least that many are. The same
 * arithmetic as the index, so the same decisions as sorting for every n, rounding included.
 */
function p95Among(count: number, answers: number): boolean {
  return answers > 0 && count >= answers - Math.floor(answers * 0.95);
}

/** The 503 a shed request gets; Retry-After set here, as onError would overwrite it. */
function overloaded(c: Context<AppEnv>, retryAfterSeconds: number): Response {
  return errorResponse(
    c,
    new IsotypError('ISOTYP_OVERLOADED', 'The control plane is over its latency budget and shed this request.', {
      hint: `Retry after ${retryAfterSeconds} s; the answer will come from a replica with room.`,
      details: { retryAfterSeconds },
    }),
    { retryAfterSeconds },
  );
}

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
 * Besides being the middleware, the result offers `admit` and `record`, the two halves of it, for
 * a step that does several per-request duties at once.
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
}: LoadSheddingOptions): LoadShedder {
  const easeMs = budgetMs * EASE_BELOW;
  // The current bucket is always the window's last.
  let current = emptyBucket();
  const window: Bucket[] = [current];
  let share = 0;
  let tickAt = now();
  const perBucket = Math.max(3, Math.ceil(minSamples / buckets));
  let overTicks = 0;

  const windowIsEasy = (): boolean => {
    let answers = 0;
    let notEasy = 0;
    for (const bucket of window) {
      answers += bucket.answers;
      notEasy += bucket.notEasy;
    }
    // Too few answers say nothing about latency; nothing to hold the share up for.
    return answers < minSamples || !p95Among(notEasy, answers);
  };

  const adjust = (): void => {
    const over = current.answers >= perBucket && p95Among(current.overBudget, current.answers);
    overTicks = over ? overTicks + 1 : 0;
    if (overTicks >= sustainTicks) share = Math.min(MAX_SHARE, share + STEP_UP);
    else if (windowIsEasy()) share = Math.max(0, share - STEP_DOWN);
  };

  const tick = (at: number): void => {
    // Ticks missed while idle each count: an idle replica has no latency to worry about.
    while (at - tickAt >= tickMs) {
      tickAt += tickMs;
      adjust();
      current = emptyBucket();
      window.push(current);
      if (window.length > buckets) window.shift();
      if (at - tickAt > tickMs * buckets) {
        // A long quiet spell: nothing older than the window matters.
        tickAt = at;
        current = emptyBucket();
        window.splice(0, window.length, current);
        share = 0;
        overTicks = 0;
      }
    }
  };

  const admit = (path: string, at: number): Refusal | undefined => {
    if (exempt(path)) return undefined;
    tick(at);
    if (share > 0 && random() < share) return { retryAfterSeconds: 1 + Math.floor(random() * 2) };
    return undefined;
  };

  const record = (ms: number): void => {
    current.answers++;
    if (ms > budgetMs) current.overBudget++;
    if (ms >= easeMs) current.notEasy++;
  };

  const middleware: MiddlewareHandler<AppEnv> = async function loadSheddingMiddleware(c, next) {
    const path = c.req.path;
    // Checked here too, so exempt requests cost neither a clock read nor a try/finally.
    if (exempt(path)) return next();
    const start = now();
    const refusal = admit(path, start);
    if (refusal) return overloaded(c, refusal.retryAfterSeconds);
    try {
      await next();
    } finally {
      record(now() - start);
    }
  };
  return Object.assign(middleware, { share: () => share, admit, record });
}
