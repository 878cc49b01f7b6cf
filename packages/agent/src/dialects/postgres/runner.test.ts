import { type IsotypError, planDigest } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../apply/apply.js';
import { detectDrift } from '../../apply/drift.js';
import { queryRows, tempDatabase } from '../../test-support/postgres.js';
import {
  addTier,
  digestOf,
  indexEmail,
  pgOp,
  pgRunner,
  postgresPlanFor,
  SHOP_SQL,
} from '../../test-support/postgres-plan.js';
import { concurrentIndexOf } from './pg-statements.js';

describe('postgresRunner', () => {
  it('reads without creating anything in a database Isotyp never changed', async () => {
    const db = await tempDatabase(SHOP_SQL);
    expect(await detectDrift(pgRunner(db.url))).toMatchObject({ drifted: false, expected: null });
    const rows = await queryRows(db.url, "SELECT 1 FROM pg_namespace WHERE nspname = 'isotyp'");
    expect(rows).toEqual([]);
  });

  it('numbers a failing statement by its place in the plan, and says what is already committed', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const good = await postgresPlanFor(SHOP_SQL, [addTier, indexEmail]);
    const failing = pgOp({ ...addTier, up: ['ALTER TABLE public.customer ADD COLUMN tier text'] });
    const body = { ...good, ops: [addTier, indexEmail, failing] };
    const plan = { ...body, planDigest: planDigest(body) };
    const error = (await applyPlan(pgRunner(db.url), plan, 'dba').catch((e: unknown) => e)) as IsotypError;
    expect(error.message).toBe(
      'Statement 3 failed: column "tier" of relation "customer" already exists (SQLSTATE 42701).',
    );
    expect(error.details).toMatchObject({ statement: 3, committed: true });
    expect(error.hint).toContain('resume');
    const steps = await queryRows(db.url, 'SELECT op_index, status FROM isotyp.steps');
    expect(steps).toEqual([{ op_index: 1, status: 'done' }]);
    // Resuming starts after the finished step, so the number is the same the second time.
    await expect(applyPlan(pgRunner(db.url), plan, 'dba')).rejects.toMatchObject({
      message: expect.stringMatching(/^Statement 3 failed/),
    });
    expect(await digestOf(db.url)).toBe(good.toDigest);
  });
});

describe('concurrentIndexOf', () => {
  it('finds the index and table of the CREATE INDEX CONCURRENTLY forms a plan can hold', () => {
    expect(concurrentIndexOf('CREATE INDEX CONCURRENTLY ix ON t (a)')).toEqual({ index: 'ix', table: 't' });
    expect(
      concurrentIndexOf(
        '-- why\n/* more */ create unique index concurrently if not exists "Ix ""q""" on only "S"."T" (a)',
      ),
    ).toEqual({ index: '"Ix ""q"""', table: '"S"."T"' });
    expect(concurrentIndexOf('CREATE INDEX CONCURRENTLY ix ON app . orders USING gin (doc)')).toEqual({
      index: 'ix',
      table: 'app . orders',
    });
  });

  it('leaves every other statement alone', () => {
    expect(concurrentIndexOf('CREATE INDEX ix ON t (a)')).toBeUndefined();
    expect(concurrentIndexOf('CREATE INDEX CONCURRENTLY ON t (a)')).toBeUndefined();
    expect(concurrentIndexOf('DROP INDEX CONCURRENTLY ix')).toBeUndefined();
    expect(concurrentIndexOf("SELECT 'CREATE INDEX CONCURRENTLY ix ON t (a)'")).toBeUndefined();
  });
});
