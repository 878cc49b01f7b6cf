import { IsotypError, type PlanOperation } from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';

type Db = BetterSqlite3.Database;

/** Which statements to run: the forward plan, or each operation's recorded down statements in reverse. */
export type Direction = 'up' | 'down';

/**
 * Runs operations on SQLite as one change (see `withSqliteChange`): the forward statements, or
 * each operation's down statements in reverse order.
 */
export function executeSqlite(db: Db, ops: readonly PlanOperation[], direction: Direction = 'up'): void {
  withSqliteChange(db, () => runStatements(db, statementsFor(ops, direction)));
}

export function statementsFor(ops: readonly PlanOperation[], direction: Direction): string[] {
  return direction === 'up' ? ops.flatMap((op) => op.up) : [...ops].reverse().flatMap((op) => op.down ?? []);
}

/**
 * Runs `work` in ONE transaction taken with BEGIN IMMEDIATE, so a second writer waits (up to the
 * busy timeout) instead of interleaving, and checks made inside `work` cannot go stale.
 * Foreign-key enforcement is off for the duration — SQLite ignores that pragma inside a
 * transaction, and the table-rebuild procedure requires it — and `PRAGMA foreign_key_check`
 * must come back empty before COMMIT. Any failure rolls everything back: the database is
 * either before or after the change, never between.
 */
export function withSqliteChange<T>(db: Db, work: () => T): T {
  const change = beginChange(db);
  try {
    const result = work();
    change.commit();
    return result;
  } catch (error) {
    change.rollback();
    throw error;
  }
}

/** `withSqliteChange` for work that awaits (the connection is used by nothing else meanwhile). */
export async function withSqliteChangeAsync<T>(db: Db, work: () => Promise<T>): Promise<T> {
  const change = beginChange(db);
  try {
    const result = await work();
    change.commit();
    return result;
  } catch (error) {
    change.rollback();
    throw error;
  }
}

function beginChange(db: Db): { commit(): void; rollback(): void } {
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  const legacyAlter = db.pragma('legacy_alter_table', { simple: true }) === 1;
  const restore = () => {
    db.pragma(`legacy_alter_table = ${legacyAlter ? 'ON' : 'OFF'}`);
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  };
  db.pragma('foreign_keys = OFF');
  // Renaming the rebuilt table into place must not rewrite or re-validate references elsewhere.
  db.pragma('legacy_alter_table = ON');
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    restore();
    throw busyError(error);
  }
  return {
    commit() {
      try {
        const violations = db.pragma('foreign_key_check') as unknown[];
        if (violations.length > 0) {
          throw new IsotypError(
            'ISOTYP_APPLY_FAILED',
            `The change would leave ${violations.length} rows violating foreign keys.`,
            { hint: 'Fix or remove the rows first; nothing was changed.', details: { violations: violations.length } },
          );
        }
        db.exec('COMMIT');
        restore();
      } catch (error) {
        this.rollback();
        throw error;
      }
    },
    rollback() {
      if (db.inTransaction) db.exec('ROLLBACK');
      restore();
    },
  };
}

/**
 * Runs statements in order, naming the failing one (1-based, after the `offset` statements of
 * the plan that came before) in the error.
 */
export function runStatements(db: Db, statements: readonly string[], offset = 0): void {
  for (const [i, sql] of statements.entries()) runStatement(db, sql, offset + i);
}

function busyError(error: unknown): IsotypError {
  return new IsotypError('ISOTYP_LOCK_TIMEOUT', 'Another writer holds the SQLite database.', {
    hint: 'Retry when the other change has finished.',
    cause: error,
  });
}

function runStatement(db: Db, sql: string, index: number): void {
  try {
    db.exec(sql);
  } catch (error) {
    if (error instanceof IsotypError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw busyError(error);
    throw new IsotypError('ISOTYP_APPLY_FAILED', `Statement ${index + 1} failed: ${(error as Error).message}`, {
      hint: 'Nothing was changed: the transaction was rolled back.',
      details: { statement: index + 1, driverCode: code ?? null },
      cause: error,
    });
  }
}
