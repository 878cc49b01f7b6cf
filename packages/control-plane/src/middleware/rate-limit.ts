import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import { type AppEnv, principalKey } from '../context.js';
import { clientIp } from '../http/client-ip.js';
import { errorResponse } from '../http/error-response.js';
import { presetHeader } from '../http/preset-header.js';
import type { SharedCounts } from './shared-counts.js';

export interface RateLimitOptions {
  /**
   * What is counted: `ip` — every request of one client address (mount it early, before the
   * body is read or credentials checked); `principal` — every request of one user or CI token
   * (mount it after authentication; anonymous requests pass, the IP limit covers them).
   */
  scope: 'ip' | 'principal';
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** See `clientIp`: read X-Forwarded-For only behind your own proxy. */
  trustProxy?: boolean;
  /** Keys tracked at most; beyond it the least recently active are forgotten. */
  maxKeys?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Counts shared with the other replicas (PostgreSQL); without it, each replica limits alone. */
  shared?: SharedCounts;
}

interface Counter {
  /** Start of the current window (ms). */
  start: number;
  current: number;
  previous: number;
}

/**
 * A sliding-window rate limit kept in memory, one counter pair per key: the estimate is this
 * window's count plus the previous window's, weighted by how much of it still overlaps the last
 * `windowSeconds` — no burst of twice the limit at a window boundary, as fixed windows allow.
 * Over the limit the answer is 429 ISOTYP_RATE_LIMITED with Retry-After; every answer carries
 * RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset and RateLimit-Policy. Counters live
 * per process; with `shared` (several replicas on PostgreSQL) they are summed across replicas.
 *
 * @example
 * app.use(rateLimit({ scope: 'ip', limit: config.rateLimit.perIp, windowSeconds: config.rateLimit.windowSeconds }));
 */
export function rateLimit({
  scope,
  limit,
  windowSeconds,
  trustProxy = false,
  maxKeys = 100_000,
  now = Date.now,
  shared,
}: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const windowMs = windowSeconds * 1000;
  const limitText = String(limit);
  const policyText = `${limit};w=${windowSeconds}`;
  // Insertion order doubles as recency: a key is re-inserted whenever its window rolls over.
  const counters = new Map<string, Counter>();
  let lastSweep = now();

  const sweep = (at: number): void => {
    lastSweep = at;
    for (const [key, counter] of counters) {
      if (at - counter.start >= 2 * windowMs) counters.delete(key);
    }
  };

  return async function rateLimitMiddleware(c, next) {
    let key: string;
    if (scope === 'ip') {
      key = `ip:${addressBucket(clientIp(c, { trustProxy }))}`;
    } else {
      const principal = c.get('principal');
      if (!principal) return next();
      key = principalKey(principal);
    }
    const at = now();
    if (at - lastSweep >= windowMs) sweep(at);
    const counter = roll(counters.get(key), at, windowMs);
    if (counter !== counters.get(key)) {
      counters.delete(key);
      if (counters.size >= maxKeys) {
        const oldest = counters.keys().next();
        if (!oldest.done) counters.delete(oldest.value);
      }
      counters.set(key, counter);
    }
    if (shared !== undefined) {
      // What every replica has counted, when it is more than this one knows of itself.
      counter.current = Math.max(counter.current, shared.count(key, counter.start) ?? 0);
      counter.previous = Math.max(counter.previous, shared.count(key, counter.start - windowMs) ?? 0);
    }
    const elapsed = at - counter.start;
    const weight = 1 - elapsed / windowMs;
    const used = counter.previous * weight + counter.current;
    const resetSeconds = Math.max(1, Math.ceil((windowMs - elapsed) / 1000));

    if (used + 1 > limit) {
      const retryAfter = retryAfterSeconds(counter, elapsed, windowMs, limit);
      return errorResponse(
        c,
        new IsotypError('ISOTYP_RATE_LIMITED', `Too many requests: at most ${limit} every ${windowSeconds} s.`, {
          hint: `Wait ${retryAfter} s before retrying, and spread requests out.`,
          details: { scope, limit, windowSeconds, retryAfterSeconds: retryAfter },
        }),
        { retryAfterSeconds: retryAfter, headers: rateLimitHeaders(limit, 0, retryAfter, windowSeconds) },
      );
    }
    counter.current++;
    shared?.add(key, counter.start);
    const remaining = Math.max(0, Math.floor(limit - used - 1));
    // With both scopes mounted, the client sees the tighter of the two, written once by the
    // outermost limiter when the answer is ready (before Node writes it).
    const tighter = c.get('rateLimit');
    if (tighter === undefined || remaining <= tighter.remaining) {
      c.set('rateLimit', { limit: limitText, remaining, resetSeconds, policy: policyText });
    }
    if (tighter !== undefined) return next();
    await next();
    const told = c.get('rateLimit');
    if (told !== undefined && c.res.status !== 429) {
      presetHeader(c, 'RateLimit-Limit', told.limit);
      presetHeader(c, 'RateLimit-Remaining', String(told.remaining));
      presetHeader(c, 'RateLimit-Reset', String(told.resetSeconds));
      presetHeader(c, 'RateLimit-Policy', told.policy);
    }
  };
}

/**
 * The unit an address is counted in: an IPv4 address (IPv4-mapped IPv6 included) on its own,
 * an IPv6 address by its /64 — one subscriber usually holds a whole /64, and counting single
 * addresses would hand every client 2^64 fresh buckets.
 *
 * @example
 * addressBucket('2001:db8:1:2:aaaa::1') // '2001:db8:1:2::/64'
 */
export function addressBucket(address: string): string {
  const bare = address.split('%')[0] ?? address;
  if (!bare.includes(':')) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  const [head = '', tail] = bare.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...headGroups,
    ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
    ...tailGroups,
  ];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The counter for the window `at` falls in: the same one, or a new one carrying the last count. */
function roll(counter: Counter | undefined, at: number, windowMs: number): Counter {
  const start = at - (at % windowMs);
  if (counter === undefined) return { start, current: 0, previous: 0 };
  if (counter.start === start) return counter;
  const previous = counter.start === start - windowMs ? counter.current : 0;
  return { start, current: 0, previous };
}

/**
 * Seconds until one more request fits. Within this window the estimate falls as the previous
 * window slides out; if that is not enough, the wait runs into the next window, where this
 * window's count is the one sliding out.
 */
function retryAfterSeconds(counter: Counter, elapsed: number, windowMs: number, limit: number): number {
  const { previous, current } = counter;
  const rest = windowMs - elapsed;
  let wait: number;
  if (current + 1 <= limit && previous > 0) {
    // previous * (1 - (elapsed + t) / windowMs) + current + 1 <= limit, solved for t
    wait = Math.max(0, windowMs * (1 - (limit - current - 1) / previous) - elapsed);
  } else {
    // current * (1 - t' / windowMs) + 1 <= limit in the next window, t' after it starts
    wait = rest + Math.max(0, windowMs * (1 - (limit - 1) / current));
  }
  return Math.max(1, Math.ceil(wait / 1000));
}

function rateLimitHeaders(limit: number, remaining: number, reset: number, windowSeconds: number) {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(remaining),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': `${limit};w=${windowSeconds}`,
  };
}
