import type { Plan, SchemaModel } from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import { historyValues } from '../../apply/history-row.js';
import type { ChangeRunner, HistoryRecord, NewHistoryRecord, TargetSession } from '../../apply/session.js';
import { runStatements, withSqliteChangeAsync } from './execute.js';
import { openSqlite } from './index.js';
import { introspectSqlite } from './introspect.js';

type Db = BetterSqlite3.Database;

/** The history table Isotyp keeps in each SQLite target (excluded from introspection). */
const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS isotyp_history (
  id INTEGER PRIMARY KEY,
  direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
  plan_digest TEXT NOT NULL,
  from_digest TEXT NOT NULL,
  to_digest TEXT NOT NULL,
  from_version TEXT NOT NULL,
  to_version TEXT NOT NULL,
  plan_json TEXT NOT NULL,
  model_json TEXT NOT NULL,
  reverts_id INTEGER,
  reverted_by_id INTEGER,
  actor TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  checksum TEXT NOT NULL
)`;

interface HistoryRow {
  id: number;
  direction: 'up' | 'down';
  plan_digest: string;
  from_digest: string;
  to_digest: string;
  from_version: string;
  to_version: string;
  plan_json: string;
  model_json: string;
  reverts_id: number | null;
  reverted_by_id: number | null;
  actor: string;
  applied_at: string;
  duration_ms: number;
}

/** Opens a SQLite target for applying, rolling back and drift checks. */
export function sqliteRunner(path: string, options: { lockTimeoutMs?: number } = {}): ChangeRunner {
  let db: Db | undefined;
  const open = () => {
    db ??= openSqlite({ path, readonly: false, ...options });
    return db;
  };
  return {
    dialect: 'sqlite',
    async withChange(work) {
      const conn = open();
      return withSqliteChangeAsync(conn, async () => {
        conn.exec(HISTORY_DDL);
        return work(session(conn));
      });
    },
    async read(work) {
      return work(session(open()));
    },
    async close() {
      db?.close();
      db = undefined;
    },
  };
}

function session(db: Db): TargetSession {
  const hasHistory = () =>
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'isotyp_history'").get() !== undefined;
  const latestWhere = (where: string) =>
    hasHistory()
      ? toRecord(db.prepare<[], HistoryRow>(`SELECT * FROM isotyp_history ${where} ORDER BY id DESC LIMIT 1`).get())
      : undefined;
  return {
    async introspect(): Promise<SchemaModel> {
      return introspectSqlite(db);
    },
    async run(statements, offset = 0) {
      runStatements(db, statements, offset);
    },
    // SQLite has no DDL that must run outside a transaction: a step is just more of the change,
    // and so there is never a step log to resume from.
    async runOutsideTransaction(statements, step) {
      runStatements(db, statements, step.offset);
    },
    async steps() {
      return [];
    },
    async prepareRetry() {},
    async latest() {
      return latestWhere('');
    },
    async latestApplied() {
      return latestWhere("WHERE direction = 'up' AND reverted_by_id IS NULL");
    },
    async record(row: NewHistoryRecord) {
      const info = db
        .prepare(
          `INSERT INTO isotyp_history (direction, plan_digest, from_digest, to_digest, from_version, to_version,
             plan_json, model_json, reverts_id, actor, applied_at, duration_ms, checksum)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...historyValues(row));
      return Number(info.lastInsertRowid);
    },
    async markReverted(id, byId) {
      db.prepare('UPDATE isotyp_history SET reverted_by_id = ? WHERE id = ?').run(byId, id);
    },
  };
}

function toRecord(row: HistoryRow | undefined): HistoryRecord | undefined {
  if (row === undefined) return undefined;
  return {
    id: row.id,
    direction: row.direction,
    planDigest: row.plan_digest as HistoryRecord['planDigest'],
    fromDigest: row.from_digest as HistoryRecord['fromDigest'],
    toDigest: row.to_digest as HistoryRecord['toDigest'],
    fromVersion: row.from_version,
    toVersion: row.to_version,
    plan: JSON.parse(row.plan_json) as Plan,
    model: JSON.parse(row.model_json) as SchemaModel,
    revertsId: row.reverts_id,
    revertedById: row.reverted_by_id,
    actor: row.actor,
    appliedAt: row.applied_at,
    durationMs: row.duration_ms,
  };
}
