import { describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { at, auditEntry, changeRecord, race, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';
import { approvalRecord } from './suite-changes.js';

/** How many requests race in each test: more than a pool's connections, so some queue. */
const N = 20;

function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

function rejectionCodes(results: PromiseSettledResult<unknown>[]): unknown[] {
  return results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: unknown }).code] : []));
}

/**
 * Races on one store, and (with `pick`) across several stores on one database: the checks
 * every replica relies on. `pick(i)` chooses the store the i-th racer uses.
 */
export function raceCases(store: CurrentStore, pick: (i: number) => Store = () => store()): void {
  describe('concurrent requests', () => {
    it(`lets exactly one of ${N} transitions from "submitted" win`, async () => {
      const s = await seedOrg(store());
      await store().changes.create(changeRecord(s, 'chg_race'));
      const results = await race(N, (i) =>
        pick(i).changes.transition(s.orgId, 'chg_race', ['submitted'], i % 2 === 0 ? 'in_review' : 'rejected', at(i)),
      );
      const winners = fulfilled(results).filter((r) => r !== undefined);
      expect(fulfilled(results)).toHaveLength(N);
      expect(winners).toHaveLength(1);
      expect(await store().changes.get(s.orgId, 'chg_race')).toMatchObject({ state: winners[0]?.state, revision: 2 });
    });

    it(`lets exactly one of ${N} idempotency claims own the key`, async () => {
      const claims = fulfilled(await race(N, (i) => pick(i).idempotency.claim('usr_1', 'key', 'hash', at(i))));
      expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
      expect(claims.filter((c) => c.kind === 'in_progress')).toHaveLength(N - 1);
    });

    it(`gives ${N} concurrent audit appends the seqs 0…${N - 1}, each once`, async () => {
      const entries = fulfilled(await race(N, (i) => pick(i).audit.append(auditEntry('org_a', 'x', `e${i}`))));
      expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect((await store().audit.range(0, N)).map((e) => e.entityId).sort()).toEqual(
        entries.map((e) => e.entityId).sort(),
      );
    });

    it('hands a refresh token to one of several concurrent rotations; the others trip reuse', async () => {
      const s = await seedOrg(store());
      const token = { userId: s.userId, orgId: s.orgId, familyId: 'fam', expiresAt: at(1000), createdAt: at(0) };
      await store().refreshTokens.create({ ...token, tokenHash: 'h' });
      const results = fulfilled(await race(N, (i) => pick(i).refreshTokens.consume('h', at(1 + i))));
      expect(results.filter((r) => r !== undefined && 'token' in r)).toHaveLength(1);
      expect(results.filter((r) => r !== undefined && 'reused' in r)).toHaveLength(N - 1);
    });

    it('accepts one of several concurrent writers of the same trust document version', async () => {
      const s = await seedOrg(store());
      const doc = { orgId: s.orgId, kind: 'keyring' as const, version: 1, createdBy: s.userId, createdAt: at(5) };
      const results = await race(N, (i) => pick(i).trust.put({ ...doc, document: { writer: i } }));
      expect(fulfilled(results)).toHaveLength(1);
      expect(rejectionCodes(results)).toEqual(Array(N - 1).fill('ISOTYP_CONFLICT'));
    });

    it('accepts one of several concurrent approvals carrying the same nonce', async () => {
      const s = await seedOrg(store());
      await store().changes.create(changeRecord(s, 'chg_1'));
      const results = await race(N, (i) => pick(i).approvals.create(approvalRecord(s, `apr_${i}`, 'chg_1', 'same')));
      expect(fulfilled(results)).toHaveLength(1);
      expect(rejectionCodes(results)).toEqual(Array(N - 1).fill('ISOTYP_APPROVAL_REPLAYED'));
      expect(await store().approvals.forChange(s.orgId, 'chg_1')).toHaveLength(1);
    });
  });
}
