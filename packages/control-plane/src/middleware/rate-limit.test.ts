import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../storage/store.js';
import { addressBucket, rateLimit } from './rate-limit.js';
import { hygieneApp, tempStore } from './test-support/hygiene-app.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await tempStore());
});
afterAll(() => dispose());

/** A clock the test moves by hand, starting at a window boundary. */
function clock() {
  let ms = 1_700_000_040_000;
  return {
    now: () => ms,
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
  };
}

describe('rateLimit', () => {
  it('counts per client address and answers 429 with Retry-After and RateLimit headers', async () => {
    const time = clock();
    const { app } = hygieneApp({
      store,
      now: time.now,
      config: { rateLimit: { perIp: 3, perPrincipal: 100, windowSeconds: 60 } },
    });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/healthz');
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('ratelimit'));
    }
    expect(remaining).toEqual(['"ip";r=2;t=60', '"ip";r=1;t=60', '"ip";r=0;t=60']);
    const refused = await app.request('/healthz');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"ip";q=3;w=60');
    // Three in this window slide out of the estimate only 20 s into the next one: 60 + 20.
    expect(refused.headers.get('retry-after')).toBe('80');
    expect(refused.headers.get('ratelimit')).toBe('"ip";r=0;t=80');
    const body = (await refused.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 'ISOTYP_RATE_LIMITED', retryable: true, requestId: expect.any(String) });
  });

  it('lets requests through again exactly when Retry-After says', async () => {
    const time = clock();
    const { app } = hygieneApp({
      store,
      now: time.now,
      config: { rateLimit: { perIp: 3, perPrincipal: 100, windowSeconds: 60 } },
    });
    for (let i = 0; i < 3; i++) await app.request('/healthz');
    time.advance(79);
    expect((await app.request('/healthz')).status).toBe(429);
    time.advance(1);
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('does not let a burst at the window boundary double the limit', async () => {
    const time = clock();
    const { app } = hygieneApp({
      store,
      now: time.now,
      config: { rateLimit: { perIp: 4, perPrincipal: 100, windowSeconds: 60 } },
    });
    time.advance(59);
    for (let i = 0; i < 4; i++) expect((await app.request('/healthz')).status).toBe(200);
    time.advance(2);
    expect((await app.request('/healthz')).status).toBe(429);
  });

  it('counts each principal on its own, after authentication', async () => {
    const time = clock();
    const { app } = hygieneApp({
      store,
      now: time.now,
      config: { rateLimit: { perIp: 100, perPrincipal: 2, windowSeconds: 60 } },
    });
    const as = (user?: string) => app.request('/healthz', { headers: user ? { 'x-test-user': user } : {} });
    expect((await as('alice')).status).toBe(200);
    expect((await as('alice')).status).toBe(200);
    const refused = await as('alice');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { details: { scope: string } } }).error.details.scope).toBe('principal');
    expect((await as('bob')).status).toBe(200);
    // Anonymous calls are not a principal: only the IP limit applies to them.
    for (let i = 0; i < 5; i++) expect((await as()).status).toBe(200);
  });

  it('shows the tighter of the two limits in the headers', async () => {
    const time = clock();
    const { app } = hygieneApp({
      store,
      now: time.now,
      config: { rateLimit: { perIp: 100, perPrincipal: 2, windowSeconds: 60 } },
    });
    const res = await app.request('/healthz', { headers: { 'x-test-user': 'carol' } });
    expect(res.headers.get('ratelimit-policy')).toBe('"principal";q=2;w=60');
    expect(res.headers.get('ratelimit')).toBe('"principal";r=1;t=60');
  });

  it('ignores X-Forwarded-For unless trustProxy is on', async () => {
    const time = clock();
    const limits = { rateLimit: { perIp: 1, perPrincipal: 100, windowSeconds: 60 } };
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
    const untrusting = hygieneApp({ store, now: time.now, config: limits }).app;
    expect((await untrusting.request('/healthz', from('198.51.100.1'))).status).toBe(200);
    expect((await untrusting.request('/healthz', from('198.51.100.2'))).status).toBe(429);
    const trusting = hygieneApp({ store, now: time.now, config: limits, trustProxy: true }).app;
    expect((await trusting.request('/healthz', from('198.51.100.1'))).status).toBe(200);
    expect((await trusting.request('/healthz', from('198.51.100.2'))).status).toBe(200);
    expect((await trusting.request('/healthz', from('198.51.100.1'))).status).toBe(429);
  });

  it('keeps at most maxKeys counters, forgetting the least recently active', async () => {
    const time = clock();
    const app = new Hono();
    app.use(rateLimit({ scope: 'ip', limit: 1, windowSeconds: 60, trustProxy: true, maxKeys: 2, now: time.now }));
    app.get('/', (c) => c.text('ok'));
    const from = (ip: string) => app.request('/', { headers: { 'x-forwarded-for': ip } });
    expect((await from('10.0.0.1')).status).toBe(200);
    expect((await from('10.0.0.1')).status).toBe(429);
    await from('10.0.0.2');
    await from('10.0.0.3'); // the third key pushes out 10.0.0.1
    expect((await from('10.0.0.1')).status).toBe(200);
  });

  it('counts IPv6 clients by /64 and IPv4-mapped addresses as IPv4', async () => {
    expect(addressBucket('192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressBucket('2001:0db8:0001:0002:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');

    const time = clock();
    const app = new Hono();
    app.use(rateLimit({ scope: 'ip', limit: 1, windowSeconds: 60, trustProxy: true, now: time.now }));
    app.get('/', (c) => c.text('ok'));
    const from = (ip: string) => app.request('/', { headers: { 'x-forwarded-for': ip } });
    expect((await from('2001:db8:1:2::1')).status).toBe(200);
    expect((await from('2001:db8:1:2::2')).status).toBe(429);
    expect((await from('2001:db8:1:3::1')).status).toBe(200);
  });
});
