import { describe, expect, it } from 'vitest';
import { at, awkwardJson, rejectsWith, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function catalogCases(store: CurrentStore): void {
  describe('projects, environments and targets', () => {
    it('reads and lists within the organisation only', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      expect(await store().projects.get(s.orgId, s.projectId)).toEqual({
        id: s.projectId,
        orgId: s.orgId,
        name: 'billing',
        createdAt: at(2),
      });
      expect(await store().projects.get(other.orgId, s.projectId)).toBeUndefined();
      expect((await store().projects.list(s.orgId)).map((p) => p.id)).toEqual([s.projectId]);
      expect(await store().environments.get(s.orgId, s.environmentId)).toMatchObject({ privacyMode: 'structure' });
      expect(await store().environments.get(other.orgId, s.environmentId)).toBeUndefined();
      expect(await store().environments.list(other.orgId, s.projectId)).toEqual([]);
      expect(await store().targets.get(other.orgId, s.targetId)).toBeUndefined();
      expect(await store().targets.get(s.orgId, s.targetId)).toStrictEqual({
        id: s.targetId,
        orgId: s.orgId,
        projectId: s.projectId,
        environmentId: s.environmentId,
        name: 'main-db',
        dialect: 'postgres',
        updatedAt: at(4),
        createdAt: at(4),
      });
    });

    it('holds one name per organisation, project and environment in the database itself', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const project = { orgId: s.orgId, name: 'billing', createdAt: at(5) };
      await rejectsWith(store().projects.create({ ...project, id: 'prj_again' }), 'ISOTYP_CONFLICT');
      await store().projects.create({ ...project, id: 'prj_second', name: 'ledger' });
      const env = {
        orgId: s.orgId,
        projectId: s.projectId,
        name: 'prod',
        privacyMode: 'digest' as const,
        createdAt: at(5),
      };
      await rejectsWith(store().environments.create({ ...env, id: 'env_again' }), 'ISOTYP_CONFLICT');
      await store().environments.create({ ...env, id: 'env_second', projectId: 'prj_second' });
      const target = {
        orgId: s.orgId,
        projectId: s.projectId,
        environmentId: s.environmentId,
        name: 'main-db',
        dialect: 'sqlite' as const,
        createdAt: at(5),
        updatedAt: at(5),
      };
      await rejectsWith(store().targets.create({ ...target, id: 'tgt_again' }), 'ISOTYP_CONFLICT');
      await store().targets.create({
        ...target,
        id: 'tgt_second',
        projectId: 'prj_second',
        environmentId: 'env_second',
      });
      // Each organisation has names of its own.
      expect((await store().projects.list(other.orgId)).map((p) => p.name)).toEqual(['billing']);
    });

    it('filters targets by project and environment', async () => {
      const s = await seedOrg(store());
      await store().environments.create({
        id: 'env_dev',
        orgId: s.orgId,
        projectId: s.projectId,
        name: 'dev',
        privacyMode: 'full',
        createdAt: at(5),
      });
      const target = { orgId: s.orgId, projectId: s.projectId, dialect: 'sqlite' as const, updatedAt: at(6) };
      await store().targets.create({
        ...target,
        id: 'tgt_dev',
        environmentId: 'env_dev',
        name: 'dev-db',
        createdAt: at(6),
      });
      const ids = async (filter: { projectId?: string; environmentId?: string }) =>
        (await store().targets.list(s.orgId, filter)).map((t) => t.id);
      expect(await ids({})).toEqual([s.targetId, 'tgt_dev']);
      expect(await ids({ environmentId: 'env_dev' })).toEqual(['tgt_dev']);
      expect(await ids({ projectId: s.projectId, environmentId: s.environmentId })).toEqual([s.targetId]);
      expect(await ids({ projectId: 'prj_none' })).toEqual([]);
    });

    it("refuses an environment or target under another organisation's project", async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const env = {
        id: 'env_x',
        orgId: s.orgId,
        projectId: other.projectId,
        name: 'x',
        privacyMode: 'digest' as const,
      };
      await rejectsWith(store().environments.create({ ...env, createdAt: at(5) }), 'ISOTYP_NOT_FOUND');
      const target = {
        id: 'tgt_x',
        orgId: s.orgId,
        projectId: s.projectId,
        environmentId: other.environmentId,
        name: 'x',
        dialect: 'sqlite' as const,
        updatedAt: at(5),
        createdAt: at(5),
      };
      await rejectsWith(store().targets.create(target), 'ISOTYP_NOT_FOUND');
      expect(await store().targets.list(s.orgId, {})).toHaveLength(1);
    });

    it('records versions: the target row and the history move together', async () => {
      const s = await seedOrg(store());
      const v1 = { targetId: s.targetId, orgId: s.orgId, version: '1.0.0', digest: 'sha256:01', createdAt: at(10) };
      const v2 = { ...v1, version: '1.1.0', digest: 'sha256:02', changeId: 'chg_1', createdAt: at(20) };
      // Same timestamp as v2: history keeps insertion order, not just time order.
      const v3 = { ...v1, version: '1.1.1', digest: 'sha256:03', createdAt: at(20) };
      for (const v of [v1, v2, v3]) await store().targets.recordVersion(v);
      expect(await store().targets.get(s.orgId, s.targetId)).toMatchObject({
        version: '1.1.1',
        digest: 'sha256:03',
        updatedAt: at(20),
      });
      expect(await store().targets.versions(s.orgId, s.targetId)).toStrictEqual([v1, v2, v3]);
      const other = await seedOrg(store(), 'other');
      expect(await store().targets.versions(other.orgId, s.targetId)).toEqual([]);
      // Another organisation's target: nothing is written anywhere.
      await rejectsWith(
        store().targets.recordVersion({ ...v1, orgId: other.orgId, version: '9.9.9' }),
        'ISOTYP_NOT_FOUND',
      );
      expect(await store().targets.versions(s.orgId, s.targetId)).toHaveLength(3);
      expect(await store().targets.versions(other.orgId, s.targetId)).toEqual([]);
    });
  });

  describe('trust documents and approver keys', () => {
    it('appends versions 1, 2, … only, and returns the stored JSON unchanged', async () => {
      const s = await seedOrg(store());
      const doc = { orgId: s.orgId, kind: 'policy' as const, createdBy: s.userId, createdAt: at(5) };
      await store().trust.put({ ...doc, version: 1, document: { rules: [] } });
      await store().trust.put({ ...doc, version: 2, document: awkwardJson });
      await rejectsWith(store().trust.put({ ...doc, version: 2, document: {} }), 'ISOTYP_CONFLICT');
      await rejectsWith(store().trust.put({ ...doc, version: 4, document: {} }), 'ISOTYP_CONFLICT');
      await rejectsWith(store().trust.put({ ...doc, kind: 'keyring', version: 2, document: {} }), 'ISOTYP_CONFLICT');
      const latest = await store().trust.latest(s.orgId, 'policy');
      expect(latest).toStrictEqual({ ...doc, version: 2, document: awkwardJson });
      // Same keys in the same order: nothing normalised the document on the way.
      expect(JSON.stringify(latest?.document)).toBe(JSON.stringify(awkwardJson));
      expect((await store().trust.get(s.orgId, 'policy', 1))?.document).toEqual({ rules: [] });
      expect(await store().trust.get(s.orgId, 'policy', 3)).toBeUndefined();
      expect(await store().trust.latest(s.orgId, 'keyring')).toBeUndefined();
      const other = await seedOrg(store(), 'other');
      expect(await store().trust.latest(other.orgId, 'policy')).toBeUndefined();
      await store().trust.put({ ...doc, orgId: other.orgId, version: 1, document: {} });
    });

    it('keeps approver keys per organisation', async () => {
      const s = await seedOrg(store());
      const other = await seedOrg(store(), 'other');
      const key = { keyId: 'key_1', orgId: s.orgId, userId: s.userId, publicKey: 'pk', createdAt: at(5) };
      await store().approverKeys.create(key);
      expect(await store().approverKeys.get(s.orgId, 'key_1')).toStrictEqual(key);
      expect(await store().approverKeys.get(other.orgId, 'key_1')).toBeUndefined();
      expect(await store().approverKeys.list(s.orgId)).toStrictEqual([key]);
      expect(await store().approverKeys.list(other.orgId)).toEqual([]);
      await rejectsWith(
        store().approverKeys.create({ ...key, orgId: other.orgId, userId: other.userId }),
        'ISOTYP_CONFLICT',
      );
    });
  });
}
