import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataSql, type SchemaSpec, schemaSql } from '../../test-support/schema-gen.js';
import { mutated, mutationsArb, renameHints, schemaArb } from '../../test-support/schema-mutate.js';
import { applyPlan, desiredModel, rollBack } from '../../test-support/sqlite-round-trip.js';
import { tempSqlite } from '../../test-support/temp-sqlite.js';
import { quoteIdent } from './sql.js';

/*
 * Round trips over generated schema pairs: a random schema with rows, and the same schema
 * after random mutations (columns added, dropped, renamed, retyped, reordered; constraints,
 * indexes, tables, views and triggers added and removed). Planned and applied to a real
 * SQLite file, the live digest must equal the desired one, re-planning must find nothing, the
 * rows of surviving columns must be unchanged, and a reversible plan must roll back.
 */

type Rows = Record<string, unknown>[];

/** Rows of every column that keeps its values from `from` to `to`, read with `side`'s names. */
function survivingRows(db: Database.Database, from: SchemaSpec, to: SchemaSpec, side: 'from' | 'to'): Rows[] {
  const result: Rows[] = [];
  for (const old of from.tables) {
    const now = to.tables.find((t) => t.key === old.key);
    if (now === undefined) continue;
    const names = old.columns.flatMap((c) => {
      const d = now.columns.find((x) => x.key === c.key);
      // Generated values are computed, and a new type may store the same value differently.
      if (d === undefined || c.generated !== null || d.generated !== null || d.type !== c.type) return [];
      return [quoteIdent(side === 'from' ? c.name : d.name)];
    });
    const table = quoteIdent(side === 'from' ? old.name : now.name);
    result.push(
      db
        .prepare(`SELECT ${['"id"', ...names].join(', ')} FROM ${table} ORDER BY "id"`)
        .raw()
        .all() as Rows,
    );
  }
  return result;
}

describe('SQLite planner round trips (property)', () => {
  it('reaches the desired digest, is idempotent, keeps rows and rolls back', () => {
    const stats = { plans: 0, ops: 0, rebuilds: 0, rolledBack: 0 };
    fc.assert(
      fc.property(schemaArb, mutationsArb, (from, mutations) => {
        const to = mutated(from, mutations);
        const db = new Database(tempSqlite(schemaSql(from) + dataSql(from)));
        try {
          const before = survivingRows(db, from, to, 'from');
          const trip = applyPlan(db, desiredModel(schemaSql(to)), { renames: renameHints(from, to) });
          expect(survivingRows(db, from, to, 'to')).toEqual(before);
          stats.plans++;
          stats.ops += trip.plan.ops.length;
          stats.rebuilds += trip.plan.ops.filter((op) => op.action === 'rebuild-table').length;
          if (trip.reversible) {
            rollBack(db, trip);
            expect(survivingRows(db, from, to, 'from')).toEqual(before);
            stats.rolledBack++;
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 50 },
    );
    // The generators must exercise both paths, or the property says little.
    expect(stats.rebuilds).toBeGreaterThan(0);
    expect(stats.rolledBack).toBeGreaterThan(0);
    expect(stats.ops).toBeGreaterThan(stats.rebuilds);
  });
});
