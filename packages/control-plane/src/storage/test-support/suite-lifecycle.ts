import { describe, expect, it } from 'vitest';
import { at, changeRecord, rejectsWith, seedOrg } from './fixtures.js';
import type { CurrentStore } from './store-suite.js';

export function lifecycleCases(store: CurrentStore): void {
  describe('lifecycle and failures', () => {
    it('migrates again without touching the data', async () => {
      const s = await seedOrg(store());
      await store().migrate();
      expect(await store().orgs.get(s.orgId)).toMatchObject({ id: s.orgId });
    });

    it('answers ping, and after close reports unavailable instead of a driver error', async () => {
      expect(await store().ping()).toBe(true);
      await store().close();
      expect(await store().ping()).toBe(false);
      await rejectsWith(store().orgs.list(), 'ISOTYP_UNAVAILABLE');
    });

    it('refuses a JSON null where a document is required, as invalid input', async () => {
      const s = await seedOrg(store());
      await rejectsWith(
        store().changes.create(changeRecord(s, 'chg_null', { manifest: null })),
        'ISOTYP_INVALID_INPUT',
      );
      expect(await store().changes.get(s.orgId, 'chg_null')).toBeUndefined();
      await store().changes.create(changeRecord(s, 'chg_ok', { lint: [null, { n: null }], createdAt: at(1) }));
      expect((await store().changes.get(s.orgId, 'chg_ok'))?.lint).toEqual([null, { n: null }]);
    });
  });
}
