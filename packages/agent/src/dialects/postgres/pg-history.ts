import type { Digest, Plan, SchemaModel } from '@isotyp/protocol';
import type pg from 'pg';
import { historyValues } from '../../apply/history-row.js';
import type { HistoryRecord, NewHistoryRecord, StepKey, StepRecord, StepStart } from '../../apply/session.js';

/*
 * What Isotyp keeps inside a PostgreSQL target, in a schema of its own (`isotyp`) that
 * introspection leaves out (catalog-sql.ts), so the bookkeeping never shows up as drift or
 * changes the schema digest:
 * - `isotyp.history`: one row per apply or rollback, with the whole plan and the resulting model
 *   as jsonb so a rollback or a drift check needs nothing from outside the database;
 * - `isotyp.steps`: the progress of operations that ran outside the change's transaction, kept
 *   only until the run's history row is written, so an interrupted run can resume.
 */

const HISTORY_DDL = `
CREATE SCHEMA IF NOT EXISTS isotyp;
CREATE TABLE IF NOT EXISTS isotyp.history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  plan_digest text NOT NULL,
  from_digest text NOT NULL,
  to_digest text NOT NULL,
  from_version text NOT NULL,
  to_version text NOT NULL,
  plan jsonb NOT NULL,
  model jsonb NOT NULL,
  reverts_id bigint REFERENCES isotyp.history (id),
  reverted_by_id bigint REFERENCES isotyp.history (id),
  actor text NOT NULL,
  applied_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  checksum text NOT NULL
);
CREATE TABLE IF NOT EXISTS isotyp.steps (
  plan_digest text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  op_index integer NOT NULL,
  status text NOT NULL CHECK (status IN ('started', 'done')),
  digest text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_digest, direction, op_index)
)`;

/**
 * Creates the bookkeeping schema when it is missing, in the caller's transaction (so a failed
 * first apply leaves no trace). Checked first because CREATE SCHEMA IF NOT EXISTS demands the
 * CREATE privilege on the database even when the schema exists, and a role that only applies
 * changes may lack it once an administrator has set Isotyp up.
 */
export async function ensureHistory(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ ready: boolean }>(
    "SELECT to_regclass('isotyp.history') IS NOT NULL AND to_regclass('isotyp.steps') IS NOT NULL AS ready",
  );
  if (rows[0]?.ready !== true) await client.query(HISTORY_DDL);
}

const COLUMNS = `id, direction, plan_digest, from_digest, to_digest, from_version, to_version, plan, model,
  reverts_id, reverted_by_id, actor, applied_at, duration_ms`;

interface HistoryRow {
  id: string;
  direction: 'up' | 'down';
  plan_digest: string;
  from_digest: string;
  to_digest: string;
  from_version: string;
  to_version: string;
  plan: Plan;
  model: SchemaModel;
  reverts_id: string | null;
  reverted_by_id: string | null;
  actor: string;
  applied_at: Date;
  duration_ms: number;
}

/** The newest history row, or the newest `up` row not rolled back; undefined before the first change. */
export async function latestHistory(client: pg.ClientBase, appliedOnly: boolean): Promise<HistoryRecord | undefined> {
  // Read paths run without the lock and must not create anything: no table, no history.
  const exists = await client.query<{ ok: boolean }>("SELECT to_regclass('isotyp.history') IS NOT NULL AS ok");
  if (exists.rows[0]?.ok !== true) return undefined;
  const where = appliedOnly ? "WHERE direction = 'up' AND reverted_by_id IS NULL" : '';
  const { rows } = await client.query<HistoryRow>(
    `SELECT ${COLUMNS} FROM isotyp.history ${where} ORDER BY id DESC LIMIT 1`,
  );
  const row = rows[0];
  return row === undefined ? undefined : toRecord(row);
}

/** Inserts a history row with its checksum and clears the step log of the run it ends. */
export async function insertHistory(client: pg.ClientBase, row: NewHistoryRecord): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO isotyp.history (direction, plan_digest, from_digest, to_digest, from_version, to_version,
       plan, model, reverts_id, actor, applied_at, duration_ms, checksum)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    historyValues(row),
  );
  await clearSteps(client, row);
  return Number(rows[0]?.id);
}

export async function markReverted(client: pg.ClientBase, id: number, byId: number): Promise<void> {
  await client.query('UPDATE isotyp.history SET reverted_by_id = $1 WHERE id = $2', [byId, id]);
}

export async function readSteps(client: pg.ClientBase, key: StepKey): Promise<StepRecord[]> {
  const { rows } = await client.query<{ op_index: number; status: StepRecord['status']; digest: string }>(
    'SELECT op_index, status, digest FROM isotyp.steps WHERE plan_digest = $1 AND direction = $2 ORDER BY op_index',
    [key.planDigest, key.direction],
  );
  return rows.map((r) => ({ opIndex: r.op_index, status: r.status, digest: r.digest as Digest<'schema'> }));
}

/** Marks a step started (again, when a resumed run retries it). */
export async function startStep(client: pg.ClientBase, step: StepStart): Promise<void> {
  await client.query(
    `INSERT INTO isotyp.steps (plan_digest, direction, op_index, status, digest) VALUES ($1, $2, $3, 'started', $4)
     ON CONFLICT (plan_digest, direction, op_index)
     DO UPDATE SET status = 'started', digest = EXCLUDED.digest, updated_at = now()`,
    [step.planDigest, step.direction, step.opIndex, step.digestBefore],
  );
}

export async function finishStep(client: pg.ClientBase, step: StepStart, after: Digest<'schema'>): Promise<void> {
  await client.query(
    `UPDATE isotyp.steps SET status = 'done', digest = $4, updated_at = now()
     WHERE plan_digest = $1 AND direction = $2 AND op_index = $3`,
    [step.planDigest, step.direction, step.opIndex, after],
  );
}

async function clearSteps(client: pg.ClientBase, key: StepKey): Promise<void> {
  await client.query('DELETE FROM isotyp.steps WHERE plan_digest = $1 AND direction = $2', [
    key.planDigest,
    key.direction,
  ]);
}

function toRecord(row: HistoryRow): HistoryRecord {
  return {
    id: Number(row.id),
    direction: row.direction,
    planDigest: row.plan_digest as HistoryRecord['planDigest'],
    fromDigest: row.from_digest as HistoryRecord['fromDigest'],
    toDigest: row.to_digest as HistoryRecord['toDigest'],
    fromVersion: row.from_version,
    toVersion: row.to_version,
    plan: row.plan,
    model: row.model,
    revertsId: row.reverts_id === null ? null : Number(row.reverts_id),
    revertedById: row.reverted_by_id === null ? null : Number(row.reverted_by_id),
    actor: row.actor,
    // timestamptz keeps microseconds; applyPlan writes toISOString() values, so this round-trips.
    appliedAt: row.applied_at.toISOString(),
    durationMs: row.duration_ms,
  };
}
