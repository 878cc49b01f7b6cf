import { describe, expect, it } from 'vitest';
import type { AgentCheckpointRecord, LogKeyRecord, Store } from '../store.js';
import { at, auditEntry, race, rejectsWith, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

/** A log key record as a replica would make it (the values only need to differ per replica). */
export function logKeyRecord(n: number): LogKeyRecord {
  return {
    id: 'audit-log',
    name: `isotyp.control-plane/replica-${n}`,
    publicKey: `pub-${n}`,
    seed: `seed-${n}`,
    createdAt: at(n),
  };
}

export function agentCheckpoint(
  orgId: string,
  agentId: string,
  ordinal: number,
  overrides: Partial<AgentCheckpointRecord> = {},
): AgentCheckpointRecord {
  return {
    orgId,
    agentId,
    ordinal,
    size: ordinal * 10,
    root: `${String(ordinal).padStart(43, 'A')}=`,
    note: `isotyp.agent/${agentId}\n${ordinal * 10}\n…\n\n— sig\n`,
    vkey: `isotyp.agent/${agentId}+01020304+AQ==`,
    createdAt: at(ordinal),
    ...overrides,
  };
}

/**
 * The audit log's signing key, paged entity history and the agents' accepted checkpoints.
 * `pick(i)` chooses the store the i-th racer uses (another replica on a shared database).
 */
export function auditCheckpointCases(store: CurrentStore, pick: (i: number) => Store = () => store()): void {
  describe('audit log key', () => {
    it('is absent until made, then the same key for every replica, whoever raced to make it', async () => {
      expect(await store().audit.logKey()).toBeUndefined();
      const results = await race(8, (i) => pick(i).audit.initLogKey(logKeyRecord(i)));
      const keys = results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
      const winner = keys[0] as LogKeyRecord;
      expect(winner.name).toMatch(/^isotyp\.control-plane\/replica-\d$/);
      for (const key of keys) expect(key).toStrictEqual(winner);
      expect(await store().audit.logKey()).toStrictEqual(winner);
      // Asking again with another key changes nothing.
      expect(await store().audit.initLogKey(logKeyRecord(99))).toStrictEqual(winner);
    });
  });

  describe('audit entries of one entity, paged', () => {
    it('pages by an exclusive seq cursor and a limit, in seq order', async () => {
      for (let i = 0; i < 7; i++) {
        await store().audit.append(auditEntry(i % 3 === 2 ? 'org_b' : 'org_a', 'change.submit', 'chg_1'));
      }
      const all = await store().audit.byEntity('org_a', 'change', 'chg_1');
      expect(all.map((e) => e.seq)).toEqual([0, 1, 3, 4, 6]);
      const firstPage = await store().audit.byEntity('org_a', 'change', 'chg_1', { limit: 2 });
      expect(firstPage.map((e) => e.seq)).toEqual([0, 1]);
      const next = await store().audit.byEntity('org_a', 'change', 'chg_1', { after: 1, limit: 2 });
      expect(next.map((e) => e.seq)).toEqual([3, 4]);
      expect((await store().audit.byEntity('org_a', 'change', 'chg_1', { after: 4 })).map((e) => e.seq)).toEqual([6]);
      expect(await store().audit.byEntity('org_a', 'change', 'chg_1', { after: 6 })).toEqual([]);
    });
  });

  describe('agent checkpoints', () => {
    it('appends per agent and answers the latest and the list, never another tenant’s', async () => {
      const a = await seedOrg(store());
      const b = await seedOrg(store(), 'other');
      expect(await store().agentCheckpoints.latest(a.orgId, 'ag_1')).toBeUndefined();
      const first = agentCheckpoint(a.orgId, 'ag_1', 1);
      const second = agentCheckpoint(a.orgId, 'ag_1', 2);
      expect(await store().agentCheckpoints.append(first)).toBe(true);
      expect(await store().agentCheckpoints.append(second)).toBe(true);
      expect(await store().agentCheckpoints.append(agentCheckpoint(a.orgId, 'ag_2', 1, { size: 3 }))).toBe(true);
      expect(await store().agentCheckpoints.latest(a.orgId, 'ag_1')).toStrictEqual(second);
      expect(await store().agentCheckpoints.list(a.orgId, 'ag_1')).toStrictEqual([first, second]);
      expect(await store().agentCheckpoints.latest(b.orgId, 'ag_1')).toBeUndefined();
      expect(await store().agentCheckpoints.list(b.orgId, 'ag_1')).toEqual([]);
    });

    it('keeps a large size exactly', async () => {
      const a = await seedOrg(store());
      const big = agentCheckpoint(a.orgId, 'ag_1', 1, { size: 2 ** 40 + 7 });
      await store().agentCheckpoints.append(big);
      expect((await store().agentCheckpoints.latest(a.orgId, 'ag_1'))?.size).toBe(2 ** 40 + 7);
    });

    it('lets one of several reports racing for the same ordinal in, and stores nothing for the rest', async () => {
      const a = await seedOrg(store());
      const results = await race(10, (i) =>
        pick(i).agentCheckpoints.append(agentCheckpoint(a.orgId, 'ag_1', 1, { size: 100 + i })),
      );
      const won = results.filter((r) => r.status === 'fulfilled' && r.value === true);
      expect(won).toHaveLength(1);
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(await store().agentCheckpoints.list(a.orgId, 'ag_1')).toHaveLength(1);
    });

    it('refuses a checkpoint for an organisation that does not exist', async () => {
      await rejectsWith(store().agentCheckpoints.append(agentCheckpoint('org_none', 'ag_1', 1)), 'ISOTYP_NOT_FOUND');
    });
  });
}
