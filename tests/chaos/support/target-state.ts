import { setTimeout as sleep } from 'node:timers/promises';
import { introspectPostgres, openSqlite, schemaDigest } from '@isotyp/agent';
import type { SchemaModel } from '@isotyp/protocol';
import pg from 'pg';
// Not part of the agent's public face (the dialect is); the tests read the model directly.
import { introspectSqlite } from '../../../packages/agent/src/dialects/sqlite/introspect.js';

/*
 * What a chaos test reads back from a target after the fact, through fresh connections: the
 * live schema digest (the agent's own introspection), the history rows and the step log the
 * agent keeps inside the target.
 */

export interface HistoryRow {
  direction: 'up' | 'down';
  planDigest: string;
  reverted: boolean;
}

export interface StepRow {
  opIndex: number;
  status: 'started' | 'done';
  digest: string;
}

export interface TargetState {
  digest: string;
  model: SchemaModel;
  history: HistoryRow[];
  steps: StepRow[];
}

/** The state of a PostgreSQL target (no isotyp schema yet reads as no history and no steps). */
export async function postgresState(url: string): Promise<TargetState> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const model = await introspectPostgres(client);
    const ready = await client.query<{ ok: boolean }>(
      "SELECT to_regclass('isotyp.history') IS NOT NULL AND to_regclass('isotyp.steps') IS NOT NULL AS ok",
    );
    if (ready.rows[0]?.ok !== true) return { digest: schemaDigest(model), model, history: [], steps: [] };
    const history = await client.query<{ direction: 'up' | 'down'; plan_digest: string; reverted: boolean }>(
      'SELECT direction, plan_digest, reverted_by_id IS NOT NULL AS reverted FROM isotyp.history ORDER BY id',
    );
    const steps = await client.query<{ op_index: number; status: 'started' | 'done'; digest: string }>(
      "SELECT op_index, status, digest FROM isotyp.steps WHERE direction = 'up' ORDER BY op_index",
    );
    return {
      digest: schemaDigest(model),
      model,
      history: history.rows.map((r) => ({ direction: r.direction, planDigest: r.plan_digest, reverted: r.reverted })),
      steps: steps.rows.map((r) => ({ opIndex: r.op_index, status: r.status, digest: r.digest })),
    };
  } finally {
    await client.end();
  }
}

/** The state of a SQLite target; SQLite never keeps a step log. */
export function sqliteState(path: string): TargetState {
  // Opening it read-write is what rolls back a hot journal a killed writer left behind — as
  // the next agent to open it would.
  const db = openSqlite({ path, readonly: false });
  try {
    const model = introspectSqlite(db);
    const hasHistory =
      db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'isotyp_history'").get() !== undefined;
    const history = hasHistory
      ? db
          .prepare<[], { direction: 'up' | 'down'; plan_digest: string; reverted: number }>(
            'SELECT direction, plan_digest, reverted_by_id IS NOT NULL AS reverted FROM isotyp_history ORDER BY id',
          )
          .all()
      : [];
    return {
      digest: schemaDigest(model),
      model,
      history: history.map((r) => ({ direction: r.direction, planDigest: r.plan_digest, reverted: r.reverted === 1 })),
      steps: [],
    };
  } finally {
    db.close();
  }
}

/**
 * Waits until no other session is connected to the database at `url`: a client killed with
 * SIGKILL leaves a backend that finishes (or aborts) its statement and only then goes, taking
 * the change lock with it. Throws after `ms`.
 */
export async function untilNoOtherSessions(url: string, ms = 30_000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + ms;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      if (rows[0]?.n === 0) return;
      if (Date.now() > deadline) throw new Error(`sessions still connected to ${new URL(url).pathname} after ${ms} ms`);
      await sleep(20);
    }
  } finally {
    await client.end();
  }
}

/** `model` without the index `name` (valid or INVALID), wherever it is. */
export function withoutIndex(model: SchemaModel, name: string): SchemaModel {
  return {
    ...model,
    namespaces: model.namespaces.map((ns) => ({
      ...ns,
      tables: ns.tables.map((t) => ({ ...t, indexes: t.indexes.filter((i) => i.name !== name) })),
    })),
  };
}
