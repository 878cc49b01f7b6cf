import { describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test-support/postgres.js';
import { CRAFTED_POSTGRES_SQL, chinookPostgresSql, pagilaSql } from '../../test-support/postgres-fixtures.js';
import { applyPlan, desiredPostgres, rollBack } from '../../test-support/postgres-round-trip.js';

/*
 * Every object kind rendered from the model: an empty database planned to a whole schema must
 * introspect exactly as the schema file loaded directly, and the downs must empty it again.
 */

describe('PostgreSQL planner creates whole schemas from nothing', () => {
  for (const [name, sql] of [
    ['the crafted schema with every field', CRAFTED_POSTGRES_SQL],
    ['Pagila', pagilaSql()],
    ['Chinook', chinookPostgresSql()],
  ] as const) {
    it(`creates ${name} and drops it again`, async () => {
      const db = await tempDatabase();
      const trip = await applyPlan(db.url, await desiredPostgres(sql));
      expect(trip.plan.ops.length).toBeGreaterThan(10);
      expect(trip.plan.ops.every((op) => op.transactional)).toBe(true);
      expect(trip.reversible).toBe(true);
      await rollBack(trip);
    });
  }
});
