import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store.js';
import { at, auditEntry, quietStamp, rejectsWith, type Seed, seedOrg } from './fixtures.js';
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

    it('changes a replica’s stamp when another replica, or SQL outside any store, writes the table', async () => {
      const [a, b] = [await replica(), await replica()];
      await a.migrate();
      const s = await seedOrg(b);
      // Another replica's write reaches a replica through the database, not through the process.
      const before = await settled(a);
      await b.targets.create({ ...targetRecord(s), id: 'tgt_two', name: 'replica-db' });
      const afterReplica = await changed(() => a.stamp(['targets']), before.targets);
      await shared().exec(`UPDATE targets SET name = 'renamed' WHERE id = 'tgt_two'`);
      await changed(() => a.stamp(['targets']), afterReplica);
      // What a replica reads from targets is stale now; what it read from users is not.
      if (name === 'postgres') expect(a.stamp(['users'])).toBe(before.users);
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
      await expect(shared().exec(`UPDATE audit_log_keys SET name = 'forged'`)).rejects.toThrow(/append-only/);
      await expect(shared().exec('DELETE FROM audit_log_keys')).rejects.toThrow(/append-only/);
      await expect(shared().exec('UPDATE agent_checkpoints SET size = 1')).rejects.toThrow(/append-only/);
      await expect(shared().exec('DELETE FROM agent_checkpoints')).rejects.toThrow(/append-only/);
      expect(await store.audit.logKey()).toStrictEqual(key);
      expect(await store.agentCheckpoints.list(s.orgId, 'ag_1')).toStrictEqual([checkpoint]);
      // Its seed alone may be sealed anew (the log checks it against the public key it loads).
      expect(await store.audit.resealLogKey('not-the-seed', 'sealed:v1:x')).toBe(false);
      expect(await store.audit.resealLogKey(key.seed, 'sealed:v1:x')).toBe(true);
      expect(await store.audit.logKey()).toStrictEqual({ ...key, seed: 'sealed:v1:x' });
    });

    it('migrates the repeated role grants an earlier version stored down to the earliest of each', async () => {
      const store = await replica();
      await store.migrate();
      const s = await seedOrg(store);
      // As an earlier version left the table: no index, and a role granted twice at one scope.
      await shared().exec('DROP INDEX role_grants_one_per_scope');
      const project = { kind: 'project' as const, projectId: s.projectId };
      const env = { ...project, kind: 'environment' as const, environmentId: s.environmentId };
      const grants = [
        ['g-org-2', 'dba', { kind: 'org' as const }, 2],
        ['g-org-1', 'dba', { kind: 'org' as const }, 1],
        ['g-org-3', 'dba', { kind: 'org' as const }, 3],
        ['g-prj-b', 'dba', project, 1],
        ['g-prj-a', 'dba', project, 1],
        ['g-env-1', 'dba', env, 1],
        ['g-env-2', 'dba', env, 2],
        ['g-env-approver', 'approver', env, 3],
      ] as const;
      for (const [id, role, scope, second] of grants) {
        const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
        expect(await store.grants.create({ id, orgId: s.orgId, userId: s.userId, role, scope, createdAt })).toBe(true);
      }
      await shared().exec(migrationSql(store.dialect, 'role_grants_one_per_scope'));
      // The earliest of each stays (the lower id when two were made at once); other grants stay.
      const kept = (await store.grants.forUser(s.orgId, s.userId)).map((g) => g.id).sort();
      expect(kept).toEqual(['g-env-1', 'g-env-approver', 'g-org-1', 'g-prj-a']);
      const again = { id: 'g-env-3', orgId: s.orgId, userId: s.userId, role: 'dba' as const, scope: env };
      expect(await store.grants.create({ ...again, createdAt: new Date().toISOString() })).toBe(false);
    });

    it('migrates catalog names an earlier version let be taken twice: the earliest keeps the name', async () => {
      const store = await replica();
      await store.migrate();
      const s = await seedOrg(store);
      const other = await seedOrg(store, 'other');
      for (const index of ['projects_org_name', 'environments_org_project_name', 'targets_org_environment_name']) {
        await shared().exec(`DROP INDEX ${index}`);
      }
      // seedOrg made project billing (at 2), environment prod and target main-db (at 3 and 4).
      await store.projects.create({ id: 'prj_b', orgId: s.orgId, name: 'billing', createdAt: at(2) });
      await store.projects.create({ id: 'prj_later', orgId: s.orgId, name: 'billing', createdAt: at(9) });
      const env = { orgId: s.orgId, projectId: s.projectId, privacyMode: 'digest' as const };
      await store.environments.create({ ...env, id: 'env_later', name: 'prod', createdAt: at(9) });
      const target = {
        orgId: s.orgId,
        projectId: s.projectId,
        environmentId: s.environmentId,
        dialect: 'sqlite' as const,
      };
      await store.targets.create({ ...target, id: 'tgt_later', name: 'main-db', createdAt: at(9), updatedAt: at(9) });
      await shared().exec(migrationSql(store.dialect, 'catalog_names_unique'));

      const names = (rows: { id: string; name: string }[]) => Object.fromEntries(rows.map((r) => [r.id, r.name]));
      // prj_b was made at the same moment as prj_acme: the lower id keeps the name.
      expect(names(await store.projects.list(s.orgId))).toEqual({
        prj_acme: 'billing',
        prj_b: 'billing (prj_b)',
        prj_later: 'billing (prj_later)',
      });
      expect(names(await store.environments.list(s.orgId, s.projectId))).toEqual({
        [s.environmentId]: 'prod',
        env_later: 'prod (env_later)',
      });
      expect(names(await store.targets.list(s.orgId, { environmentId: s.environmentId }))).toEqual({
        [s.targetId]: 'main-db',
        tgt_later: 'main-db (tgt_later)',
      });
      // Another organisation's names were not another's duplicates.
      expect(names(await store.projects.list(other.orgId))).toEqual({ [other.projectId]: 'billing' });
      await rejectsWith(
        store.projects.create({ id: 'prj_again', orgId: s.orgId, name: 'billing', createdAt: at(10) }),
        'ISOTYP_CONFLICT',
      );
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

/** A migration's SQL as the store's migrator runs it: `tag` names the file after its number. */
function migrationSql(dialect: Store['dialect'], tag: string): string {
  const folder = fileURLToPath(new URL(`../../../drizzle/${dialect}`, import.meta.url));
  const file = readdirSync(folder).find((name) => name.endsWith(`_${tag}.sql`));
  if (file === undefined) throw new Error(`no ${dialect} migration ${tag}`);
  return readFileSync(join(folder, file), 'utf8');
}

function targetRecord(s: Seed) {
  return {
    orgId: s.orgId,
    projectId: s.projectId,
    environmentId: s.environmentId,
    dialect: 'postgres' as const,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
}

/** Another replica's writes arrive by notification on PostgreSQL: how long a test waits for one. */
const NOTIFIED_WITHIN_MS = 5000;

/** Stamps of `targets` and `users` once no notification is still on its way. */
async function settled(store: Store): Promise<{ targets: string; users: string }> {
  await quietStamp(store, ['targets', 'users']);
  return { targets: store.stamp(['targets']) as string, users: store.stamp(['users']) as string };
}

/** Waits until `stamp()` differs from `from` (and is defined); fails after NOTIFIED_WITHIN_MS. */
async function changed(stamp: () => string | undefined, from: string): Promise<string> {
  const deadline = Date.now() + NOTIFIED_WITHIN_MS;
  for (;;) {
    const now = stamp();
    if (now !== undefined && now !== from) return now;
    if (Date.now() > deadline) throw new Error(`the stamp stayed ${from}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
