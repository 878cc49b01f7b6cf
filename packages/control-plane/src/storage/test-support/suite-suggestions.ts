import { describe, expect, it } from 'vitest';
import type { SuggestionRecord } from '../store.js';
import { at, changeRecord, race, rejectsWith, type Seed, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

/** A suggestion first reported at `second`; `n` makes its digest. */
export function suggestionRecord(
  seed: Seed,
  n: number,
  second: number,
  overrides: Partial<SuggestionRecord> = {},
): SuggestionRecord {
  return {
    id: `sug_${seed.orgId}_${n}`,
    orgId: seed.orgId,
    projectId: seed.projectId,
    environmentId: seed.environmentId,
    targetId: seed.targetId,
    digest: `sha256:${n.toString(16).padStart(64, '0')}`,
    kind: 'fk-without-index',
    source: 'rule',
    objects: [{ kind: 'table', namespace: 'public', name: `orders_${n}` }],
    impact: 'high',
    confidence: 0.9,
    risk: 'safe',
    score: 90,
    editCount: 1,
    state: 'new',
    reportedBy: 'agent:agt_1',
    createdAt: at(second),
    updatedAt: at(second),
    lastSeenAt: at(second),
    ...overrides,
  };
}

export function suggestionCases(store: CurrentStore): void {
  describe('suggestions', () => {
    it('keeps one row per digest and target: a second report refreshes it and keeps the review', async () => {
      const s = await seedOrg(store());
      const first = suggestionRecord(s, 1, 10, { confidence: 0.123456789 });
      expect(await store().suggestions.report([first, suggestionRecord(s, 2, 10)])).toEqual({ created: 2, updated: 0 });
      expect(await store().suggestions.get(s.orgId, first.id)).toStrictEqual(first);

      const reviewed = await store().suggestions.review(s.orgId, first.id, {
        from: ['new', 'snoozed'],
        to: 'rejected',
        reviewerUserId: s.userId,
        reason: 'the table is tiny',
        now: at(20),
      });
      expect(reviewed).toMatchObject({ state: 'rejected', reason: 'the table is tiny', reviewedAt: at(20) });

      const again = suggestionRecord(s, 1, 30, { id: 'sug_again', score: 40, impact: 'low', objects: [] });
      expect(await store().suggestions.report([again, suggestionRecord(s, 3, 30)])).toEqual({ created: 1, updated: 1 });
      const read = await store().suggestions.get(s.orgId, first.id);
      expect(read).toStrictEqual({
        ...first,
        confidence: 0.9,
        score: 40,
        impact: 'low',
        objects: [],
        state: 'rejected',
        reviewerUserId: s.userId,
        reason: 'the table is tiny',
        reviewedAt: at(20),
        createdAt: at(10),
        updatedAt: at(30),
        lastSeenAt: at(30),
      });
      expect(await store().suggestions.get(s.orgId, 'sug_again')).toBeUndefined();
    });

    it('makes one row of the same digest reported by 20 replicas at once', async () => {
      const s = await seedOrg(store());
      const results = await race(20, (i) =>
        store().suggestions.report([suggestionRecord(s, 7, 10 + i, { id: `sug_race_${i}` })]),
      );
      const counts = results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
      expect(counts.filter((c) => c.created === 1)).toHaveLength(1);
      expect(counts.filter((c) => c.updated === 1)).toHaveLength(19);
      const rows = await store().suggestions.list(s.orgId, { now: at(100), limit: 50 });
      expect(rows).toHaveLength(1);
    });

    it('lists by score, then oldest first, with state, target and drafted filters; a finished snooze is new', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      await store().suggestions.report([
        suggestionRecord(s, 1, 10, { score: 50 }),
        suggestionRecord(s, 2, 11, { score: 90 }),
        suggestionRecord(s, 3, 12, { score: 50 }),
        suggestionRecord(s, 4, 13, { score: 70 }),
      ]);
      await store().suggestions.report([suggestionRecord(other, 1, 10)]);
      const ids = (rows: SuggestionRecord[]) => rows.map((r) => r.id.slice(-1));
      const list = (filter: Partial<Parameters<ReturnType<CurrentStore>['suggestions']['list']>[1]> = {}) =>
        store().suggestions.list(s.orgId, { now: at(100), limit: 50, ...filter });
      expect(ids(await list())).toEqual(['2', '4', '1', '3']);
      expect(ids(await list({ limit: 2 }))).toEqual(['2', '4']);

      const review = (n: number, to: 'accepted' | 'snoozed', snoozedUntil?: string) =>
        store().suggestions.review(s.orgId, `sug_${s.orgId}_${n}`, {
          from: ['new'],
          to,
          reviewerUserId: s.userId,
          now: at(50),
          ...(snoozedUntil === undefined ? {} : { snoozedUntil }),
        });
      await review(2, 'accepted');
      await review(4, 'snoozed', at(200));
      await review(3, 'snoozed', at(80));
      expect(ids(await list({ states: ['new'] }))).toEqual(['1', '3']);
      expect(ids(await list({ states: ['snoozed'] }))).toEqual(['4']);
      expect(ids(await list({ states: ['new'], now: at(60) }))).toEqual(['1']);
      expect(ids(await list({ states: ['accepted', 'snoozed'] }))).toEqual(['2', '4']);
      expect(ids(await list({ states: ['accepted'], drafted: false }))).toEqual(['2']);
      expect(await list({ states: ['accepted'], drafted: true })).toEqual([]);
      expect(await list({ states: [] })).toEqual([]);
      expect(await list({ targetIds: [] })).toEqual([]);
      expect(ids(await list({ targetIds: [s.targetId], states: ['rejected'] }))).toEqual([]);
      expect(await list({ targetIds: [other.targetId] })).toEqual([]);
      expect(await store().suggestions.get(other.orgId, `sug_${s.orgId}_1`)).toBeUndefined();
    });

    it('wakes a snoozed suggestion when it is reported after the snooze, not before', async () => {
      const s = await seedOrg(store());
      const record = suggestionRecord(s, 1, 10);
      await store().suggestions.report([record]);
      await store().suggestions.review(s.orgId, record.id, {
        from: ['new'],
        to: 'snoozed',
        reviewerUserId: s.userId,
        snoozedUntil: at(100),
        now: at(20),
      });
      await store().suggestions.report([suggestionRecord(s, 1, 99)]);
      expect(await store().suggestions.get(s.orgId, record.id)).toMatchObject({
        state: 'snoozed',
        snoozedUntil: at(100),
      });
      await store().suggestions.report([suggestionRecord(s, 1, 100)]);
      const woken = await store().suggestions.get(s.orgId, record.id);
      expect(woken?.state).toBe('new');
      expect(woken?.snoozedUntil).toBeUndefined();
    });

    it('reviews once (compare-and-set), notes one drafted change, and refuses another tenant’s ids', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const record = suggestionRecord(s, 1, 10);
      await store().suggestions.report([record]);
      const accept = (orgId: string, second: number) =>
        store().suggestions.review(orgId, record.id, {
          from: ['new', 'snoozed'],
          to: 'accepted',
          reviewerUserId: s.userId,
          now: at(second),
        });
      expect(await accept(other.orgId, 15)).toBeUndefined();
      const results = await race(10, (i) => accept(s.orgId, 20 + i));
      const winners = results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []));
      expect(winners).toHaveLength(1);
      expect(await store().suggestions.get(s.orgId, record.id)).toStrictEqual(winners[0]);

      await store().changes.create(changeRecord(s, 'chg_1'));
      await store().changes.create(changeRecord(other, 'chg_other'));
      expect(await store().suggestions.drafted(other.orgId, record.id, 'chg_1', at(50))).toBeUndefined();
      // The change must be the organisation's own.
      await rejectsWith(store().suggestions.drafted(s.orgId, record.id, 'chg_other', at(50)), 'ISOTYP_NOT_FOUND');
      expect(await store().suggestions.drafted(s.orgId, record.id, 'chg_1', at(50))).toMatchObject({
        state: 'accepted',
        changeId: 'chg_1',
        updatedAt: at(50),
      });
      expect(await store().suggestions.drafted(s.orgId, record.id, 'chg_1', at(60))).toBeUndefined();
    });

    it('attaches a drafted plan only while accepted and without a change, replacing an earlier one', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const [open, taken] = [suggestionRecord(s, 1, 10), suggestionRecord(s, 2, 10)];
      await store().suggestions.report([open, taken]);
      const plan = (title: string) => ({ title, bump: 'minor', manifest: { mode: 'structure', opCount: 1 }, lint: [] });
      expect(await store().suggestions.attachDraft(s.orgId, open.id, plan('too early'), at(15))).toBeUndefined();
      for (const record of [open, taken]) {
        await store().suggestions.review(s.orgId, record.id, {
          from: ['new'],
          to: 'accepted',
          reviewerUserId: s.userId,
          now: at(20),
        });
      }
      expect(await store().suggestions.attachDraft(other.orgId, open.id, plan('foreign'), at(25))).toBeUndefined();
      const first = await store().suggestions.attachDraft(s.orgId, open.id, plan('first'), at(30));
      expect(first).toMatchObject({ state: 'accepted', draft: plan('first'), draftedAt: at(30), updatedAt: at(30) });
      const second = await store().suggestions.attachDraft(s.orgId, open.id, plan('second'), at(40));
      expect(await store().suggestions.get(s.orgId, open.id)).toStrictEqual(second);
      expect(second).toMatchObject({ draft: plan('second'), draftedAt: at(40) });
      // A refresh from the advisor keeps the plan.
      await store().suggestions.report([suggestionRecord(s, 1, 50)]);
      expect(await store().suggestions.get(s.orgId, open.id)).toMatchObject({
        draft: plan('second'),
        lastSeenAt: at(50),
      });

      const list = (planned: boolean) =>
        store().suggestions.list(s.orgId, { states: ['accepted'], planned, now: at(100), limit: 50 });
      expect((await list(true)).map((r) => r.id)).toEqual([open.id]);
      expect((await list(false)).map((r) => r.id)).toEqual([taken.id]);
      expect((await list(false))[0]?.draft).toBeUndefined();

      await store().changes.create(changeRecord(s, 'chg_1'));
      await store().suggestions.drafted(s.orgId, open.id, 'chg_1', at(60));
      expect(await store().suggestions.attachDraft(s.orgId, open.id, plan('late'), at(70))).toBeUndefined();
      expect(await store().suggestions.get(s.orgId, open.id)).toMatchObject({
        changeId: 'chg_1',
        draft: plan('second'),
      });
    });
  });
}
