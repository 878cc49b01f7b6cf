import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { auditEntry, rejectsWith, seedOrg } from './fixtures.js';
import { agentCheckpoint, auditCheckpointCases, logKeyRecord } from './suite-audit-checkpoints.js';
import { raceCases } from './suite-races.js';

/** One database, as several replicas of the control plane see it. */
export interface SharedDatabase {
  /** Opens one more Store on the database (not migrated), as another replica would. */
  open(): Promise<Store>;
  /** Runs SQL on the database outside any Store; rejects with the database's own error. */
  exec(sql: string): Promise<void>;
}

/**
 * What holds only when the database itself enforces it: replicas racing through separate
 * Stores (separate connections, separate processes in production), concurrent migrations,
 * and an audit table that refuses UPDATE and DELETE from anyone.
 *
 * @example
 * describeSharedDatabase('sqlite', async () => sharedSqliteFile());
 */
export function describeSharedDatabase(name: string, fresh: () => Promise<SharedDatabase>): void {
  describe(`Store replicas on one database: ${name}`, () => {
    let database: SharedDatabase | undefined;
    let stores: Store[] = [];
    const shared = () => {
      if (database === undefined) throw new Error('no database: used outside a test');
      return database;
    };
    const replica = async () => {
      const store = await shared().open();
      stores.push(store);
      return store;
    };
    const storeAt = (i: number): Store => {
      const store = stores[i % stores.length];
      if (store === undefined) throw new Error('no replicas opened');
      return store;
    };

    beforeEach(async () => {
      database = await fresh();
      stores = [];
    });
    afterEach(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });

    it('migrates from several replicas at once, each finding the schema complete', async () => {
      const replicas = await Promise.all([replica(), replica(), replica()]);
      await Promise.all(replicas.map((r) => r.migrate()));
      const s = await seedOrg(storeAt(0));
      expect(await storeAt(1).projects.get(s.orgId, s.projectId)).toMatchObject({ id: s.projectId });
      await storeAt(2).migrate();
    });

    it('refuses UPDATE and DELETE on audit entries in the database itself', async () => {
      const store = await replica();
      await store.migrate();
      const entry = await store.audit.append(auditEntry('org_a', 'change.apply', 'chg_1'));
      await expect(shared().exec(`UPDATE audit_entries SET action = 'forged'`)).rejects.toThrow(/append-only/);
      await expect(shared().exec('DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
      expect(await store.audit.range(0, 10)).toStrictEqual([entry]);
      // The store itself still appends after the refused attempts.
      expect((await store.audit.append(auditEntry('org_a', 'change.apply', 'chg_2'))).seq).toBe(1);
    });

    it('refuses UPDATE and DELETE on the log key and agent checkpoints in the database itself', async () => {
      const store = await replica();
      await store.migrate();
      const s = await seedOrg(store);
      const key = await store.audit.initLogKey(logKeyRecord(1));
      const checkpoint = agentCheckpoint(s.orgId, 'ag_1', 1);
      await store.agentCheckpoints.append(checkpoint);
      await expect(shared().exec(`UPDATE audit_log_keys SET public_key = 'forged'`)).rejects.toThrow(/append-only/);
      await expect(shared().exec('DELETE FROM audit_log_keys')).rejects.toThrow(/append-only/);
      await expect(shared().exec('UPDATE agent_checkpoints SET size = 1')).rejects.toThrow(/append-only/);
      await expect(shared().exec('DELETE FROM agent_checkpoints')).rejects.toThrow(/append-only/);
      expect(await store.audit.logKey()).toStrictEqual(key);
      expect(await store.agentCheckpoints.list(s.orgId, 'ag_1')).toStrictEqual([checkpoint]);
    });

    it('keeps tenant reads apart across replicas', async () => {
      const [a, b] = [await replica(), await replica()];
      await a.migrate();
      const s = await seedOrg(a);
      const other = await seedOrg(b, 'other');
      expect(await b.users.get(other.orgId, s.userId)).toBeUndefined();
      await rejectsWith(b.users.setPasswordHash(other.orgId, s.userId, 'x'), 'ISOTYP_NOT_FOUND');
    });

    describe('two replicas racing', () => {
      beforeEach(async () => {
        const replicas = [await replica(), await replica()];
        for (const r of replicas) await r.migrate();
      });
      raceCases(() => storeAt(0), storeAt);
      auditCheckpointCases(() => storeAt(0), storeAt);
    });
  });
}
