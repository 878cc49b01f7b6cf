import { describe, expect, it } from 'vitest';
import { at, auditEntry, quietStamp, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

/** What caches rely on (Store.stamp): this process's writes change the stamps of what they wrote, at once. */
export function stampCases(store: CurrentStore): void {
  describe('stamps', () => {
    it('stay put while only reads happen, and move for a table as soon as a write to it returns', async () => {
      const s = await seedOrg(store());
      const targets = await quietStamp(store(), ['targets']);
      const users = store().stamp(['users']);
      await store().targets.list(s.orgId, {});
      await store().users.get(s.orgId, s.userId);
      expect(store().stamp(['targets'])).toBe(targets);

      await store().targets.create({
        id: 'tgt_more',
        orgId: s.orgId,
        projectId: s.projectId,
        environmentId: s.environmentId,
        name: 'second-db',
        dialect: 'sqlite',
        createdAt: at(10),
        updatedAt: at(10),
      });
      // No waiting: the request that wrote must read its own write.
      const afterCreate = store().stamp(['targets']);
      expect(afterCreate).not.toBe(targets);
      expect(store().stamp(['targets', 'users'])).not.toBe(`${targets}${users}`);

      await store().grants.create({
        id: 'grt_1',
        orgId: s.orgId,
        userId: s.userId,
        role: 'viewer',
        scope: { kind: 'org' },
        createdAt: at(11),
      });
      expect(store().stamp(['roleGrants'])).not.toBeUndefined();
      await store().targets.recordVersion({
        orgId: s.orgId,
        targetId: s.targetId,
        version: '1.0.0',
        digest: `sha256:${'a'.repeat(64)}`,
        createdAt: at(12),
      });
      expect(store().stamp(['targets'])).not.toBe(afterCreate);
      const audit = store().stamp(['auditEntries']);
      await store().audit.append(auditEntry(s.orgId, 'change.submit', 'chg_1'));
      expect(store().stamp(['auditEntries'])).not.toBe(audit);
    });

    it('move for a write that failed, so that nothing read around it is trusted', async () => {
      const s = await seedOrg(store());
      const before = store().stamp(['orgs']);
      await expect(store().orgs.create({ id: s.orgId, name: 'again', createdAt: at(0) })).rejects.toThrow();
      expect(store().stamp(['orgs'])).not.toBe(before);
    });
  });
}
