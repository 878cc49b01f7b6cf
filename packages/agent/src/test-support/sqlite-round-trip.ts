import { readFileSync } from 'node:fs';
import type { Plan, PlanOperation, SchemaModel } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterEach, expect } from 'vitest';
import { executeSqlite } from '../dialects/sqlite/execute.js';
import { introspectSqlite } from '../dialects/sqlite/introspect.js';
import { sqlitePlanner } from '../dialects/sqlite/planner.js';
import type { RenameHint } from '../diff/changes.js';
import type { DiffOptions } from '../diff/diff.js';
import { createPlan } from '../plan/create-plan.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { CHINOOK_SQL, tempChinook } from './temp-sqlite.js';

/** Chinook's CREATE statements without its rows: the starting point of desired states. */
export const CHINOOK_DDL = (() => {
  const sql = readFileSync(CHINOOK_SQL, 'utf8');
  return sql.slice(0, sql.indexOf('INSERT INTO'));
})();

/** A desired state the way `--schema` loads one: run in an in-memory database, then introspected. */
export function desiredModel(sql: string): SchemaModel {
  const db = new Database(':memory:');
  try {
    db.exec(sql);
    return introspectSqlite(db);
  } finally {
    db.close();
  }
}

/** Rewrites `sql`, failing loudly when a fragment to replace is missing (a typo in a test). */
export function edit(sql: string, ...replacements: [string, string][]): string {
  let result = sql;
  for (const [from, to] of replacements) {
    if (!result.includes(from)) throw new Error(`fragment not found: ${from}`);
    result = result.replace(from, to);
  }
  return result;
}

export interface RoundTrip {
  plan: Plan;
  /** The model of the database before the plan. */
  before: SchemaModel;
  /** True when every operation has down statements. */
  reversible: boolean;
  /** The model of the database after the forward plan. */
  after: SchemaModel;
}

/**
 * Plans `db` → `desired` with the SQLite planner and checks the round trip: after applying,
 * the live digest equals the desired one and re-planning finds nothing to do. With
 * `rollback`, it then runs the down statements (when every operation has some) and checks the
 * original digest is back. Rows are the caller's to check, before calling `rollBack`.
 */
export function applyPlan(db: Database.Database, desired: SchemaModel, options: DiffOptions = {}): RoundTrip {
  const live = introspectSqlite(db);
  const { plan } = createPlan(live, desired, sqlitePlanner, options);
  expect(plan.fromDigest).toBe(schemaDigest(live));
  executeSqlite(db, plan.ops, 'up');
  const after = introspectSqlite(db);
  // toEqual first: on failure it shows which part of the model differs.
  expect(after).toEqual(desired);
  expect(schemaDigest(after)).toBe(plan.toDigest);
  expect(createPlan(after, desired, sqlitePlanner).plan.ops).toEqual([]);
  return { plan, before: live, reversible: plan.ops.every((op) => op.down !== null), after };
}

/** Runs the plan's down statements and checks the database is back at the plan's from-digest. */
export function rollBack(db: Database.Database, trip: RoundTrip): void {
  executeSqlite(db, trip.plan.ops, 'down');
  const restored = introspectSqlite(db);
  expect(restored).toEqual(trip.before);
  expect(schemaDigest(restored)).toBe(trip.plan.fromDigest);
}

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** A connection to a fresh Chinook file, closed after the test. */
export function openChinook(): Database.Database {
  const db = new Database(tempChinook());
  open.push(db);
  return db;
}

export type Row = Record<string, unknown>;

/** All rows of `table` (the listed columns), in rowid order. */
export const rows = (db: Database.Database, table: string, columns = '*'): Row[] =>
  db.prepare(`SELECT ${columns} FROM "${table.replaceAll('"', '""')}" ORDER BY rowid`).all() as Row[];

/** `action object` per operation: what a reviewer reads first. */
export const actions = (ops: PlanOperation[]) => ops.map((op) => `${op.action} ${op.object.name}`);

/**
 * Applies `sql` as the desired state of `db` (a fresh Chinook by default) with `applyPlan`'s
 * checks, remembering the rows of `keep` (table → column list) to compare afterwards.
 */
export function evolveChinook(
  sql: string,
  keep: Record<string, string>,
  renames: RenameHint[] = [],
  db = openChinook(),
) {
  const before = Object.fromEntries(Object.entries(keep).map(([t, cols]) => [t, rows(db, t, cols)]));
  const trip = applyPlan(db, desiredModel(sql), { renames });
  return {
    db,
    trip,
    ops: trip.plan.ops,
    /** The kept rows, read under new names where `renamed` gives some (table → [table, columns]). */
    expectRowsKept(renamed: Record<string, [string, string]> = {}) {
      for (const [table, cols] of Object.entries(keep)) {
        const [now, nowCols] = renamed[table] ?? [table, cols];
        expect(rows(db, now, nowCols), `${table} rows`).toEqual(before[table]);
      }
    },
    /** Rolls back (the plan must be reversible) and checks digest and kept rows are as before. */
    rollBackAndCheck() {
      expect(trip.reversible).toBe(true);
      rollBack(db, trip);
      for (const [table, cols] of Object.entries(keep)) expect(rows(db, table, cols)).toEqual(before[table]);
    },
  };
}
