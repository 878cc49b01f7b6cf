import { setTimeout as sleep } from 'node:timers/promises';
import type { IsotypError } from '@isotyp/protocol';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { queryRows, runSql, tempDatabase } from '../test-support/postgres.js';
import {
  addPlaced,
  addTier,
  digestOf,
  historyRows,
  indexEmail,
  pgOp,
  pgRunner,
  postgresPlanFor,
  SHOP_SQL,
} from '../test-support/postgres-plan.js';
import { applyPlan } from './apply.js';
import { rollbackLatest } from './rollback.js';

/*
 * Plans with an operation PostgreSQL cannot run in a transaction (CREATE INDEX CONCURRENTLY):
 * what precedes it commits, it runs as a step recorded in isotyp.steps, and a run cut short —
 * the connection killed mid-build, or the build failing — resumes on the next apply.
 */

async function indexState(url: string, name: string): Promise<'valid' | 'invalid' | 'absent'> {
  const rows = await queryRows<{ valid: boolean }>(
    url,
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '${name}'`,
  );
  return rows[0] === undefined ? 'absent' : rows[0].valid ? 'valid' : 'invalid';
}

async function stepLog(url: string): Promise<Record<string, unknown>[]> {
  return queryRows(url, 'SELECT direction, op_index, status FROM isotyp.steps ORDER BY direction, op_index');
}

async function columnExists(url: string, table: string, column: string): Promise<boolean> {
  const rows = await queryRows(
    url,
    `SELECT 1 FROM information_schema.columns WHERE table_name = '${table}' AND column_name = '${column}'`,
  );
  return rows.length === 1;
}

/** Polls until `check` holds (the server does things on its own schedule), for up to 10 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await sleep(50);
  expect(await check()).toBe(true);
}

describe('non-transactional steps on PostgreSQL', () => {
  it('builds a concurrent index between two transactions and rolls it back the same way', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, indexEmail, addPlaced]);
    const result = await applyPlan(pgRunner(db.url), plan, 'dba');
    expect(result).toMatchObject({ statements: 3, toVersion: '0.1.0' });
    expect(await digestOf(db.url)).toBe(plan.toDigest);
    expect(await indexState(db.url, 'customer_email_idx')).toBe('valid');
    expect(await stepLog(db.url)).toEqual([]);

    // The down statement is DROP INDEX CONCURRENTLY: it too must run outside the transaction.
    expect(await rollbackLatest(pgRunner(db.url), 'dba')).toMatchObject({ toDigest: plan.fromDigest });
    expect(await digestOf(db.url)).toBe(plan.fromDigest);
    expect(await stepLog(db.url)).toEqual([]);
  });

  it('resumes after the connection is killed in the middle of the index build', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, indexEmail, addPlaced]);
    // A transaction holding an older snapshot makes CREATE INDEX CONCURRENTLY wait once it has
    // built the (still INVALID) index, before validating it: a deterministic moment to kill the
    // applier. It touches no table, so the plan's first transaction does not wait for it.
    const reader = new pg.Client({ connectionString: db.url });
    reader.on('error', () => {});
    await reader.connect();
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
    const applying = applyPlan(pgRunner(db.url), plan, 'dba').catch((e: unknown) => e);
    const building = async () =>
      (
        await queryRows(
          db.url,
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'CREATE INDEX CONCURRENTLY%'`,
        )
      ).length === 1;
    // Both, as the build may also wait briefly for autovacuum before it creates the index.
    await until(async () => (await building()) && (await indexState(db.url, 'customer_email_idx')) === 'invalid');
    await runSql(
      db.url,
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND datname = current_database()",
    );
    expect(await applying).toMatchObject({ code: 'ISOTYP_TARGET_UNREACHABLE' });
    await reader.query('COMMIT');
    await reader.end();

    // The crash left the first transaction committed, the step started and a broken index.
    expect(await columnExists(db.url, 'customer', 'tier')).toBe(true);
    expect(await columnExists(db.url, 'orders', 'placed_at')).toBe(false);
    expect(await stepLog(db.url)).toEqual([{ direction: 'up', op_index: 1, status: 'started' }]);
    expect(await historyRows(db.url)).toEqual([]);

    const resumed = await applyPlan(pgRunner(db.url), plan, 'dba');
    expect(resumed).toMatchObject({ statements: 2, toVersion: '0.1.0', toDigest: plan.toDigest });
    expect(await digestOf(db.url)).toBe(plan.toDigest);
    expect(await indexState(db.url, 'customer_email_idx')).toBe('valid');
    expect(await historyRows(db.url)).toEqual([
      expect.objectContaining({ direction: 'up', plan_digest: plan.planDigest }),
    ]);
    expect(await stepLog(db.url)).toEqual([]);
  });

  it('drops the INVALID index of a failed build at once, and resumes only on the schema it left', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const uniqueEmail = pgOp({
      ...indexEmail,
      up: ['CREATE UNIQUE INDEX CONCURRENTLY customer_email_idx ON public.customer (email)'],
    });
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, uniqueEmail, addPlaced]);
    await runSql(db.url, "INSERT INTO customer VALUES (100000, 'c1@example.org', 'twin')");

    const error = (await applyPlan(pgRunner(db.url), plan, 'dba').catch((e: unknown) => e)) as IsotypError;
    expect(error.code).toBe('ISOTYP_APPLY_FAILED');
    expect(error.message).toMatch(/^Statement 2 failed: could not create unique index .* \(SQLSTATE 23505\)\.$/);
    expect(error.message).not.toContain('c1@example.org');
    expect(error.hint).toContain('resume');
    expect(await indexState(db.url, 'customer_email_idx')).toBe('absent');
    expect(await stepLog(db.url)).toEqual([{ direction: 'up', op_index: 1, status: 'started' }]);

    // Someone changed the schema while the run was stopped: resuming would apply the rest blind.
    await runSql(db.url, 'CREATE TABLE stray (id int)');
    await expect(applyPlan(pgRunner(db.url), plan, 'dba')).rejects.toMatchObject({ code: 'ISOTYP_DIGEST_MISMATCH' });
    await runSql(db.url, 'DROP TABLE stray');

    await runSql(db.url, 'DELETE FROM customer WHERE id = 100000');
    expect(await applyPlan(pgRunner(db.url), plan, 'dba')).toMatchObject({ statements: 2, toDigest: plan.toDigest });
    expect(await indexState(db.url, 'customer_email_idx')).toBe('valid');
    expect(await historyRows(db.url)).toHaveLength(1);
  });
});
