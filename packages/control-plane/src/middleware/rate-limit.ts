import { IsotypError } from '@isotyp/protocol';
import type { Context, MiddlewareHandler } from 'hono';
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
 * the tightest limit it passed in the two fields of the IETF draft (draft-ietf-httpapi-ratelimit-headers):
 * `RateLimit-Policy: "ip";q=600;w=60` (quota and window) and `RateLimit: "ip";r=412;t=37`
 * (requests remaining, seconds until the quota resets). Counters live per process; with `shared`
 * (several replicas on PostgreSQL) they are summed across replicas.
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
  const policyText = policyField(scope, limit, windowSeconds);
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
      key = ipKey(c, trustProxy);
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
        {
          retryAfterSeconds: retryAfter,
          headers: { 'RateLimit-Policy': policyText, RateLimit: rateLimitField(scope, 0, retryAfter) },
        },
      );
    }
    counter.current++;
    shared?.add(key, counter.start);
    const remaining = Math.max(0, Math.floor(limit - used - 1));
    // With both scopes mounted, the client sees the tighter of the two, written once by the
    // outermost limiter when the answer is ready (before Node writes it).
    const tighter = c.get('rateLimit');
    if (tighter === undefined || remaining <= tighter.remaining) {
      c.set('rateLimit', { name: scope, remaining, resetSeconds, policy: policyText });
    }
    if (tighter !== undefined) return next();
    await next();
    const told = c.get('rateLimit');
    if (told !== undefined && c.res.status !== 429) {
      presetHeader(c, 'RateLimit-Policy', told.policy);
      presetHeader(c, 'RateLimit', rateLimitField(told.name, told.remaining, told.resetSeconds));
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

/** `RateLimit-Policy`: the policy's name, its quota and its window in seconds. */
function policyField(name: string, quota: number, windowSeconds: number): string {
  return `"${name}";q=${quota};w=${windowSeconds}`;
}

/** `RateLimit`: the policy's name, the requests left and the seconds until the quota resets. */
function rateLimitField(name: string, remaining: number, resetSeconds: number): string {
  return `"${name}";r=${remaining};t=${resetSeconds}`;
}

/**
 * Kept per connection when the peer's address is the client's: a keep-alive connection sends
 * many requests, and the key is the same for all of them.
 */
const ipKeys = new WeakMap<object, string>();

function ipKey(c: Context, trustProxy: boolean): string {
  const socket = trustProxy ? undefined : (c.env as { incoming?: { socket?: object } } | undefined)?.incoming?.socket;
  let key = socket === undefined ? undefined : ipKeys.get(socket);
  if (key === undefined) {
    key = `ip:${addressBucket(clientIp(c, { trustProxy }))}`;
    if (socket !== undefined) ipKeys.set(socket, key);
  }
  return key;
}
