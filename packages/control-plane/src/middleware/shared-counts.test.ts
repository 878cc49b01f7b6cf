import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../../scripts/test-support/postgres.js';
import { type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';

/**
 * Rate limits shared across replicas: two control planes on one PostgreSQL database, one
 * client alternating between them, get the limit once between them — not once each.
 */
describe('rate limits across two replicas on PostgreSQL', () => {
  let a: LiveControlPlane;
  let b: LiveControlPlane;
  let token: string;
  const limit = 30;

  beforeAll(async () => {
    const { url } = await tempDatabase();
    const rateLimit = { perIp: 100_000, perPrincipal: limit, windowSeconds: 60 };
    a = await liveControlPlane(url, { rateLimit });
    b = await liveControlPlane(url, { rateLimit });
    token = await a.login('admin@acme.test');
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('admits about the limit in total, wherever the requests land, and says when to retry', async () => {
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<LiveControlPlane['call']>> | undefined;
    for (let i = 0; i < 2 * limit; i++) {
      const answer = await (i % 2 === 0 ? a : b).call('GET', '/v1/projects', { token });
      statuses.push(answer.status);
      if (answer.status === 429) refusal ??= answer;
      // Spread over a few flush intervals, as real traffic would be.
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const admitted = statuses.filter((s) => s === 200).length;
    // Per replica alone, each would admit `limit` (60 in all); shared, the total stays near the
    // limit — over it by at most what the other replica admitted within one flush interval.
    expect(admitted).toBeGreaterThanOrEqual(limit - 1);
    expect(admitted).toBeLessThanOrEqual(limit + 8);
    expect(refusal?.body.error).toMatchObject({ code: 'ISOTYP_RATE_LIMITED', hint: expect.any(String) });
    expect(Number(refusal?.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
