import type { Plan } from '@isotyp/protocol';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { queryRows, tempDatabase } from '../test-support/postgres.js';
import {
  addPlaced,
  addTier,
  codeOf,
  digestOf,
  historyRows,
  pgOp,
  pgRunner,
  postgresPlanFor,
  SHOP_SQL,
} from '../test-support/postgres-plan.js';
import { applyPlan } from './apply.js';

/*
 * Several appliers racing for one database, each through its own runner and connection, as
 * several agents or CI jobs would: exactly one applies, every other one fails with a stable
 * code, and the target ends up with exactly the planned schema and one history row.
 */

/** Starts every apply at once and sorts the outcomes into codes (`ok` for a success). */
async function race(url: string, plans: Plan[], options: { lockTimeoutMs: number }): Promise<string[]> {
  const outcomes = await Promise.allSettled(
    plans.map((plan, i) => applyPlan(pgRunner(url, { ...options, pollMs: 20 }), plan, `applier-${i}`)),
  );
  return outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : codeOf(o.reason))).sort();
}

async function advisoryLocks(url: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    url,
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
  );
  return rows[0]?.n ?? -1;
}

describe('appliers racing for one PostgreSQL database', () => {
  it('lets one of six apply; the others wait, then find it applied', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier, addPlaced]);
    const codes = await race(db.url, Array(6).fill(plan), { lockTimeoutMs: 20_000 });
    expect(codes).toEqual([
      'ISOTYP_CONFLICT',
      'ISOTYP_CONFLICT',
      'ISOTYP_CONFLICT',
      'ISOTYP_CONFLICT',
      'ISOTYP_CONFLICT',
      'ok',
    ]);
    expect(await historyRows(db.url)).toHaveLength(1);
    expect(await digestOf(db.url)).toBe(plan.toDigest);
    expect(await advisoryLocks(db.url)).toBe(0);
  });

  it('lets one of eight apply when they carry two different plans from the same schema', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const planA = await postgresPlanFor(SHOP_SQL, [addTier]);
    const planB = await postgresPlanFor(SHOP_SQL, [addPlaced]);
    const plans = [planA, planB, planA, planB, planA, planB, planA, planB];
    const codes = await race(db.url, plans, { lockTimeoutMs: 20_000 });
    const [row] = await historyRows(db.url);
    const winner = row?.plan_digest === planA.planDigest ? planA : planB;
    // The winner's twins find it applied; the other plan's appliers find a schema it was not made from.
    expect(codes).toEqual([...Array(3).fill('ISOTYP_CONFLICT'), ...Array(4).fill('ISOTYP_DIGEST_MISMATCH'), 'ok']);
    expect(await historyRows(db.url)).toHaveLength(1);
    expect(await digestOf(db.url)).toBe(winner.toDigest);
  });

  it('makes the others give up with ISOTYP_LOCK_TIMEOUT while a slow change holds the lock', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const slow = pgOp({ ...addTier, up: ['SELECT pg_sleep(1)', ...addTier.up] });
    const plan = await postgresPlanFor(SHOP_SQL, [slow]);
    const codes = await race(db.url, Array(4).fill(plan), { lockTimeoutMs: 300 });
    expect(codes).toEqual(['ISOTYP_LOCK_TIMEOUT', 'ISOTYP_LOCK_TIMEOUT', 'ISOTYP_LOCK_TIMEOUT', 'ok']);
    expect(await historyRows(db.url)).toHaveLength(1);
    expect(await digestOf(db.url)).toBe(plan.toDigest);
  });

  it('waits for a lock held by hand, names its holder, changes nothing, and goes ahead once it is free', async () => {
    const db = await tempDatabase(SHOP_SQL);
    const plan = await postgresPlanFor(SHOP_SQL, [addTier]);
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext('isotyp'), hashtext(current_database()))");
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const started = performance.now();
      const error = await applyPlan(pgRunner(db.url, { lockTimeoutMs: 400 }), plan, 'dba').catch((e: unknown) => e);
      expect(performance.now() - started).toBeGreaterThanOrEqual(400);
      expect(error).toMatchObject({ code: 'ISOTYP_LOCK_TIMEOUT', details: { holderPid: pid } });
      expect(await digestOf(db.url)).toBe(plan.fromDigest);

      // Released while a second applier polls: it takes the lock and applies.
      const waiting = applyPlan(pgRunner(db.url, { lockTimeoutMs: 10_000, pollMs: 20 }), plan, 'dba');
      setTimeout(() => void holder.query('SELECT pg_advisory_unlock_all()'), 300);
      expect(await waiting).toMatchObject({ toVersion: '0.1.0' });
    } finally {
      await holder.end();
    }
    expect(await digestOf(db.url)).toBe(plan.toDigest);
  });
});
