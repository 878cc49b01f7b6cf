import { describe, expect, it } from 'vitest';
import { databaseUrl, queryRows, runSql, tempDatabase } from '../../../../../scripts/test-support/postgres.js';
import { at, auditEntry, rejectsWith, seedOrg, visible } from '../test-support/fixtures.js';
import { describeSharedDatabase, describeStore } from '../test-support/store-suite.js';
import { openPostgresStore } from './postgres-store.js';

// Pools smaller than the races' 20 requests, so some of them queue for a connection.
describeStore('postgres', async () => openPostgresStore((await tempDatabase()).url, { max: 5 }));

describeSharedDatabase('postgres', async () => {
  const db = await tempDatabase();
  return { open: () => openPostgresStore(db.url, { max: 4 }), exec: (sql) => runSql(db.url, sql) };
});

describe('openPostgresStore', () => {
  it('opens alone only with no control plane connected, and holds back those that start meanwhile', async () => {
    const db = await tempDatabase();
    const serving = await openPostgresStore(db.url);
    await rejectsWith(openPostgresStore(db.url, { alone: true }), 'ISOTYP_CONFLICT');
    await serving.close();

    const alone = await openPostgresStore(db.url, { alone: true });
    // A second maintenance run is refused rather than queued.
    await rejectsWith(openPostgresStore(db.url, { alone: true }), 'ISOTYP_CONFLICT');
    let opened = false;
    const starting = openPostgresStore(db.url).then((store) => {
      opened = true;
      return store;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(opened).toBe(false);
    await alone.close();
    const started = await starting;
    expect(opened).toBe(true);
    expect(await started.ping()).toBe(true);
    await started.close();
  });

  it('stops waiting for a maintenance run that does not end, with a hint naming it', async () => {
    const db = await tempDatabase();
    const alone = await openPostgresStore(db.url, { alone: true });
    try {
      await expect(openPostgresStore(db.url, { maintenanceWaitMs: 300 })).rejects.toMatchObject({
        code: 'ISOTYP_CONFLICT',
        hint: expect.stringContaining('isotyp-maintenance'),
      });
    } finally {
      await alone.close();
    }
    // Nothing of the refused open is left holding the database: a maintenance run can start.
    const again = await openPostgresStore(db.url, { alone: true });
    await again.close();
  });

  it('refuses TRUNCATE of the audit log as well', async () => {
    const db = await tempDatabase();
    const store = await openPostgresStore(db.url);
    try {
      await store.migrate();
      await store.audit.append(auditEntry('org_a', 'change.apply', 'chg_1'));
      await expect(runSql(db.url, 'TRUNCATE audit_entries')).rejects.toThrow(/append-only/);
      expect(await store.audit.size()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('stores times as timestamptz and reads them back as the same ISO strings', async () => {
    const db = await tempDatabase();
    const store = await openPostgresStore(db.url);
    try {
      await store.migrate();
      const s = await seedOrg(store);
      const rows = await queryRows<{ type: string }>(
        db.url,
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = 'orgs'::regclass AND attname = 'created_at'`,
      );
      expect(rows).toEqual([{ type: 'timestamp(3) with time zone' }]);
      // A session in another time zone writes the same instant; the store still answers in UTC.
      await runSql(db.url, `SET TIME ZONE 'Asia/Kolkata'; UPDATE orgs SET created_at = '2026-01-01 05:30:00.25+05:30'`);
      expect((await store.orgs.get(s.orgId))?.createdAt).toBe(at(0.25));
    } finally {
      await store.close();
    }
  });

  // Rate-limit counters are never cached, so they announce nothing (and are written constantly).
  it('has every table announce its writes to the other replicas', async () => {
    const db = await tempDatabase();
    const store = await openPostgresStore(db.url);
    try {
      await store.migrate();
      const missing = await queryRows<{ table: string }>(
        db.url,
        `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'rate_limit_counts'
            AND NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                             WHERE t.tgrelid = c.oid AND p.proname = 'isotyp_store_changed')`,
      );
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('trusts no stamp while it cannot hear other replicas, and a new one once it listens again', async () => {
    const db = await tempDatabase();
    const store = await openPostgresStore(db.url);
    try {
      await store.migrate();
      const before = store.stamp(['targets']);
      expect(before).toEqual(expect.any(String));
      await runSql(
        db.url,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      const seen = new Set<string | undefined>();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const now = store.stamp(['targets']);
        seen.add(now);
        if (now !== undefined && now !== before) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // While the listener was gone nothing was trusted; after, what was read before the gap is not.
      expect(seen.has(undefined)).toBe(true);
      const after = store.stamp(['targets']);
      expect(after).toEqual(expect.any(String));
      expect(after).not.toBe(before);
    } finally {
      await store.close();
    }
  });

  it('reports a database that does not exist as configuration, without the password', async () => {
    const url = new URL(databaseUrl('isotyp_no_such_database'));
    url.password = 'hunter2-secret';
    const error = await rejectsWith(openPostgresStore(url.toString()), 'ISOTYP_CONFIG_INVALID');
    expect(visible(error)).not.toContain('hunter2');
    expect(error.message).toContain('isotyp_no_such_database');
  });

  it('reports a server that does not answer as unavailable, without the password', async () => {
    const error = await rejectsWith(
      openPostgresStore('postgres://cp:hunter2-secret@127.0.0.1:1/isotyp'),
      'ISOTYP_UNAVAILABLE',
    );
    expect(visible(error)).not.toContain('hunter2');
  });
});
