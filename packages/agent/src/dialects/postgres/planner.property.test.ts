import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test-support/postgres.js';
import { applyPlan, desiredPostgres, type Row, rollBack, rows } from '../../test-support/postgres-round-trip.js';
import { type PgSchemaSpec, pgDataSql, pgSchemaSql } from '../../test-support/postgres-schema-gen.js';
import { pgMutated, pgMutationsArb, pgRenameHints, pgSchemaArb } from '../../test-support/postgres-schema-mutate.js';
import { quoteIdent } from './pg-sql.js';

/*
 * Round trips over generated schema pairs: a random schema with rows, and the same schema
 * after random mutations (columns added, dropped, renamed, retyped, made NOT NULL; defaults,
 * constraints, indexes, references, tables, enum values, views and comments changed). Planned
 * and applied to a real database, the live schema must equal the desired one, re-planning must
 * find nothing, surviving values must be unchanged, and a reversible plan must roll back.
 */

/** Values of every column that keeps its values from `from` to `to`, as text, read with `side`'s names. */
async function survivingRows(
  url: string,
  from: PgSchemaSpec,
  to: PgSchemaSpec,
  side: 'from' | 'to',
): Promise<unknown[][][]> {
  const result: unknown[][][] = [];
  for (const old of from.tables) {
    const now = to.tables.find((t) => t.key === old.key);
    if (now === undefined) continue;
    const names = old.columns.flatMap((c) => {
      const d = now.columns.find((x) => x.key === c.key);
      // A new column's NULLs may be backfilled; a retyped column prints differently.
      if (d === undefined || c.fresh || d.type !== c.type) return [];
      return [`${quoteIdent(side === 'from' ? c.name : d.name)}::text`];
    });
    const table = quoteIdent(side === 'from' ? old.name : now.name);
    // Values only: the column names differ between the sides when a column was renamed.
    const found = await rows(url, `SELECT ${['"id"', ...names].join(', ')} FROM public.${table} ORDER BY "id"`);
    result.push(found.map((row: Row) => Object.values(row)));
  }
  return result;
}

describe('PostgreSQL planner round trips (property)', () => {
  it('reaches the desired schema, is idempotent, keeps rows and rolls back', async () => {
    const stats = { plans: 0, ops: 0, rolledBack: 0, typeChanges: 0 };
    await fc.assert(
      fc.asyncProperty(pgSchemaArb, pgMutationsArb, async (from, mutations) => {
        const to = pgMutated(from, mutations);
        const db = await tempDatabase(pgSchemaSql(from) + pgDataSql(from));
        try {
          const before = await survivingRows(db.url, from, to, 'from');
          const trip = await applyPlan(db.url, await desiredPostgres(pgSchemaSql(to)), {
            renames: pgRenameHints(from, to),
          });
          expect(await survivingRows(db.url, from, to, 'to')).toEqual(before);
          stats.plans++;
          stats.ops += trip.plan.ops.length;
          stats.typeChanges += trip.plan.ops.filter((op) => op.action === 'alter-column-type').length;
          if (trip.reversible) {
            await rollBack(trip);
            expect(await survivingRows(db.url, from, to, 'from')).toEqual(before);
            stats.rolledBack++;
          }
        } finally {
          await db.drop();
        }
      }),
      { numRuns: 25 },
    );
    // The generators must exercise real changes and rollbacks, or the property says little.
    expect(stats.ops).toBeGreaterThan(stats.plans);
    expect(stats.rolledBack).toBeGreaterThan(0);
  }, 120_000);
});
