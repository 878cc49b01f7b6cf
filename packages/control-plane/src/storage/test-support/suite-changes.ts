import { describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../store.js';
import { at, awkwardJson, changeRecord, rejectsWith, type Seed, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function approvalRecord(seed: Seed, id: string, changeId: string, nonce: string): ApprovalRecord {
  return {
    id,
    orgId: seed.orgId,
    changeId,
    layer: 'dba',
    decision: 'approve',
    userId: seed.userId,
    keyId: 'key_approver',
    nonce,
    expiresAt: at(3600),
    envelope: { v: 1, type: 'isotyp.approval', payload: { changeId }, nonce },
    createdAt: at(30),
  };
}

export function changeCases(store: CurrentStore): void {
  describe('changes', () => {
    it('round-trips a change with its JSON documents, per organisation', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const change = changeRecord(s, 'chg_1', { reason: 'needed for invoices' });
      await store().changes.create(change);
      const read = await store().changes.get(s.orgId, 'chg_1');
      expect(read).toStrictEqual(change);
      expect(JSON.stringify(read?.manifest)).toBe(JSON.stringify(awkwardJson));
      expect(await store().changes.get(other.orgId, 'chg_1')).toBeUndefined();
      expect(await store().changes.list(other.orgId, { limit: 10 })).toEqual([]);
      await rejectsWith(store().changes.create(change), 'ISOTYP_CONFLICT');
    });

    it('lists newest first with filters, a createdAt cursor and a limit', async () => {
      const s = await seedOrg(store());
      const states = ['submitted', 'approved', 'applied', 'submitted'] as const;
      for (const [i, state] of states.entries()) {
        await store().changes.create(changeRecord(s, `chg_${i}`, { state, createdAt: at(100 + i) }));
      }
      const ids = async (filter: Parameters<ReturnType<CurrentStore>['changes']['list']>[1]) =>
        (await store().changes.list(s.orgId, filter)).map((c) => c.id);
      expect(await ids({ limit: 10 })).toEqual(['chg_3', 'chg_2', 'chg_1', 'chg_0']);
      expect(await ids({ limit: 2 })).toEqual(['chg_3', 'chg_2']);
      expect(await ids({ limit: 10, before: at(102) })).toEqual(['chg_1', 'chg_0']);
      expect(await ids({ limit: 10, states: ['submitted', 'applied'] })).toEqual(['chg_3', 'chg_2', 'chg_0']);
      expect(await ids({ limit: 10, states: [] })).toEqual([]);
      expect(
        await ids({ limit: 10, targetId: s.targetId, projectId: s.projectId, environmentId: s.environmentId }),
      ).toHaveLength(4);
      expect(await ids({ limit: 10, targetId: 'tgt_none' })).toEqual([]);
    });

    it('transitions only from an expected state, bumping the revision', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      await store().changes.create(changeRecord(s, 'chg_1'));
      expect(await store().changes.transition(s.orgId, 'chg_1', ['approved'], 'applying', at(20))).toBeUndefined();
      expect(
        await store().changes.transition(other.orgId, 'chg_1', ['submitted'], 'in_review', at(20)),
      ).toBeUndefined();
      expect(await store().changes.transition(s.orgId, 'chg_1', [], 'in_review', at(20))).toBeUndefined();
      const moved = await store().changes.transition(s.orgId, 'chg_1', ['draft', 'submitted'], 'in_review', at(21));
      expect(moved).toMatchObject({ state: 'in_review', revision: 2, updatedAt: at(21), createdAt: at(10) });
      const rejected = await store().changes.transition(
        s.orgId,
        'chg_1',
        ['in_review'],
        'rejected',
        at(22),
        'too risky',
      );
      expect(rejected).toMatchObject({ state: 'rejected', revision: 3, reason: 'too risky' });
      expect(await store().changes.get(s.orgId, 'chg_1')).toStrictEqual(rejected);
    });
  });

  describe('approvals', () => {
    it('accepts a nonce once per organisation', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      await store().changes.create(changeRecord(s, 'chg_1'));
      await store().changes.create(changeRecord(other, 'chg_o'));
      await store().approvals.create(approvalRecord(s, 'apr_1', 'chg_1', 'nonce-1'));
      await store().approvals.create(approvalRecord(s, 'apr_2', 'chg_1', 'nonce-2'));
      await rejectsWith(
        store().approvals.create(approvalRecord(s, 'apr_3', 'chg_1', 'nonce-1')),
        'ISOTYP_APPROVAL_REPLAYED',
      );
      await store().approvals.create(approvalRecord(other, 'apr_o', 'chg_o', 'nonce-1'));
      await rejectsWith(store().approvals.create(approvalRecord(s, 'apr_1', 'chg_1', 'nonce-9')), 'ISOTYP_CONFLICT');
      expect(await store().approvals.forChange(s.orgId, 'chg_1')).toStrictEqual([
        approvalRecord(s, 'apr_1', 'chg_1', 'nonce-1'),
        approvalRecord(s, 'apr_2', 'chg_1', 'nonce-2'),
      ]);
      expect(await store().approvals.forChange(other.orgId, 'chg_1')).toEqual([]);
      // An approval for a change of another organisation has nothing to attach to.
      await rejectsWith(store().approvals.create(approvalRecord(s, 'apr_x', 'chg_o', 'nonce-x')), 'ISOTYP_NOT_FOUND');
    });
  });
}
