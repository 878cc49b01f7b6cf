import type { Plan, PlanOperation, SchemaModel } from '@isotyp/protocol';
import pg from 'pg';
import { expect } from 'vitest';
import { introspectPostgres } from '../dialects/postgres/introspect.js';
import { postgresPlanner } from '../dialects/postgres/planner.js';
import { loadDesiredPostgres } from '../dialects/postgres/scratch.js';
import type { RenameHint } from '../diff/changes.js';
import { createPlan } from '../plan/create-plan.js';
import type { PlanOptions } from '../plan/dialect-planner.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { postgresServerUrl, tempDatabase } from './postgres.js';

/*
 * Round trips of the PostgreSQL planner against the test server: plan a live database to a
 * desired state loaded the way `--schema` loads one, apply the plan with a tiny executor, and
 * check the live schema is then exactly the desired one, that re-planning finds nothing, and
 * that the downs in reverse give the starting schema back.
 */

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export const introspectUrl = (url: string): Promise<SchemaModel> => withClient(url, (c) => introspectPostgres(c));

/** A desired state as `--schema` loads one: into a scratch database, then introspected. */
export function desiredPostgres(sql: string): Promise<SchemaModel> {
  return loadDesiredPostgres(sql, { serverUrl: postgresServerUrl(), fileName: 'schema.sql' });
}

/**
 * Runs a plan's statements the way the apply executor must: the transactional operations in one
 * transaction, then the others one statement at a time. Going down, operations run in reverse:
 * the non-transactional ones (last going up) first, then the rest in one transaction.
 */
export async function executePlan(url: string, ops: readonly PlanOperation[], direction: 'up' | 'down'): Promise<void> {
  const ordered = direction === 'up' ? [...ops] : [...ops].reverse();
  const statements = (op: PlanOperation) => (direction === 'up' ? op.up : (op.down ?? []));
  const inTransaction = ordered.filter((op) => op.transactional).flatMap(statements);
  const outside = ordered.filter((op) => !op.transactional).flatMap(statements);
  await withClient(url, async (client) => {
    const runOutside = async () => {
      for (const sql of outside) await client.query(sql);
    };
    if (direction === 'down') await runOutside();
    await client.query('BEGIN');
    try {
      for (const sql of inTransaction) await client.query(sql);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    if (direction === 'up') await runOutside();
  });
}

export interface RoundTrip {
  url: string;
  plan: Plan;
  before: SchemaModel;
  after: SchemaModel;
  /** True when every operation has down statements. */
  reversible: boolean;
}

export interface TripOptions extends PlanOptions {
  renames?: RenameHint[];
}

/**
 * Plans the database at `url` to `desired`, applies the plan and checks: the live model equals
 * the desired one (and so its digest the plan's toDigest), and re-planning finds nothing.
 */
export async function applyPlan(url: string, desired: SchemaModel, options: TripOptions = {}): Promise<RoundTrip> {
  const before = await introspectUrl(url);
  const { plan } = createPlan(before, desired, postgresPlanner, options);
  await executePlan(url, plan.ops, 'up');
  const after = await introspectUrl(url);
  // toEqual first: on failure it shows which part of the model differs.
  expect(after).toEqual(desired);
  expect(schemaDigest(after)).toBe(plan.toDigest);
  expect(createPlan(after, desired, postgresPlanner).plan.ops).toEqual([]);
  return { url, plan, before, after, reversible: plan.ops.every((op) => op.down !== null) };
}

/** Runs the downs and checks the database is back at the plan's from-digest. */
export async function rollBack(trip: RoundTrip): Promise<void> {
  await executePlan(trip.url, trip.plan.ops, 'down');
  const restored = await introspectUrl(trip.url);
  expect(restored).toEqual(trip.before);
  expect(schemaDigest(restored)).toBe(trip.plan.fromDigest);
}

export type Row = Record<string, unknown>;

export async function rows(url: string, sql: string): Promise<Row[]> {
  return withClient(url, async (c) => (await c.query(sql)).rows as Row[]);
}

/**
 * A database loaded with `baseSql` (and `seedSql`, run with foreign key and other triggers
 * off so seeds need not follow reference order), evolved to `desiredSql` with the checks of
 * `applyPlan`. `keep` maps a label to a query whose rows must be the same before and after.
 */
export async function evolve(
  baseSql: string,
  desiredSql: string,
  options: TripOptions & { seedSql?: string; keep?: Record<string, string> } = {},
) {
  const db = await tempDatabase(baseSql);
  if (options.seedSql !== undefined) {
    await withClient(db.url, (c) => c.query(`SET session_replication_role = replica;\n${options.seedSql}`));
  }
  const keep = options.keep ?? {};
  const kept: Record<string, Row[]> = {};
  for (const [label, sql] of Object.entries(keep)) kept[label] = await rows(db.url, sql);
  const trip = await applyPlan(db.url, await desiredPostgres(desiredSql), options);
  return {
    url: db.url,
    trip,
    ops: trip.plan.ops,
    /** Checks the kept rows, reading them with `after` queries where names changed. */
    async expectRowsKept(after: Record<string, string> = {}) {
      for (const [label, sql] of Object.entries(keep)) {
        expect(await rows(db.url, after[label] ?? sql), label).toEqual(kept[label]);
      }
    },
    /** Rolls back (the plan must be reversible) and checks schema and kept rows. */
    async rollBackAndCheck() {
      expect(trip.reversible).toBe(true);
      await rollBack(trip);
      for (const [label, sql] of Object.entries(keep)) expect(await rows(db.url, sql), label).toEqual(kept[label]);
    },
  };
}

/** `action object` per operation: what a reviewer reads first. */
export const actions = (ops: readonly PlanOperation[]): string[] => ops.map((op) => `${op.action} ${op.object.name}`);

/** Rewrites `sql`, failing loudly when a fragment to replace is missing (a typo in a test). */
export function edit(sql: string, ...replacements: [string, string][]): string {
  let result = sql;
  for (const [from, to] of replacements) {
    if (!result.includes(from)) throw new Error(`fragment not found: ${from}`);
    result = result.replace(from, to);
  }
  return result;
}
