import type { IsotypError } from '@isotyp/protocol';
import type { AnyColumn, SQL, Table } from 'drizzle-orm';
import type { AuditEntryRecord, SchemaVersionRecord, StoreDialect } from '../store.js';
import type { Rows, Stored, TableName } from './rows.js';

/*
 * What a dialect folder gives `createStore`: its tables, a few single-statement primitives built
 * with its drizzle driver, and the operations whose atomicity needs the dialect's own
 * transaction and locking (better-sqlite3 transactions are synchronous; PostgreSQL ones are
 * async and lock across replicas). Everything else is written once, in `core/`.
 */

/** The dialect's drizzle tables, seen through the columns both dialects share. */
export type Tables = { [K in TableName]: Table & { [C in keyof Rows[K]]-?: AnyColumn } };

export interface SelectOptions {
  orderBy?: SQL[];
  limit?: number;
}

/** New values for an UPDATE: a plain value or an SQL expression (`revision + 1`). */
export type SetOf<K extends TableName> = { [C in keyof Rows[K]]?: Rows[K][C] | SQL };

/**
 * One statement each, so each is atomic on its own. Rows come back in record form (NULL columns
 * left out, see `present`).
 */
export interface Runner {
  select<K extends TableName>(table: K, where: SQL | undefined, options?: SelectOptions): Promise<Stored[K][]>;
  /**
   * Inserts one row. With `skipConflictOn`, a row that conflicts on those columns (`'any'`: on
   * any unique index, for one on expressions) is left alone (`ON CONFLICT DO NOTHING`) and the
   * result is false; any other violation throws.
   */
  insert<K extends TableName>(table: K, values: Stored[K], skipConflictOn?: AnyColumn[] | 'any'): Promise<boolean>;
  /**
   * Inserts rows in one statement; a row that conflicts on `conflictOn` replaces the stored
   * row's `replace` columns instead (`ON CONFLICT … DO UPDATE SET col = excluded.col`).
   */
  upsert<K extends TableName>(
    table: K,
    rows: readonly Stored[K][],
    conflictOn: AnyColumn[],
    replace: readonly (keyof Stored[K] & string)[],
  ): Promise<void>;
  /**
   * Inserts rows in one statement; a row that conflicts on `conflictOn` adds its `column` to the
   * stored one instead (`ON CONFLICT … DO UPDATE SET col = col + excluded.col`). Returns every
   * row as stored after the statement.
   */
  accumulate<K extends TableName>(
    table: K,
    rows: readonly Stored[K][],
    conflictOn: AnyColumn[],
    column: keyof Stored[K] & string,
  ): Promise<Stored[K][]>;
  /** `UPDATE … WHERE … RETURNING *`. */
  update<K extends TableName>(table: K, set: SetOf<K>, where: SQL): Promise<Stored[K][]>;
  /** Number of rows deleted. */
  delete<K extends TableName>(table: K, where: SQL): Promise<number>;
  count<K extends TableName>(table: K, where?: SQL): Promise<number>;
}

/**
 * `runner` with every method passed through `wrap` — what a dialect puts around each statement
 * (SQLite's wait for another request's transaction, PostgreSQL's turns inside one).
 */
export function wrapRunner(
  runner: Runner,
  wrap: (method: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => Promise<unknown>,
): Runner {
  return Object.fromEntries(
    Object.entries(runner).map(([name, method]) => [name, wrap(method as (...args: unknown[]) => Promise<unknown>)]),
  ) as unknown as Runner;
}

export interface Driver {
  readonly dialect: StoreDialect;
  readonly tables: Tables;
  readonly run: Runner;
  migrate(): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** Updates the target row and inserts the history row in one transaction; false when no such target. */
  recordVersion(version: SchemaVersionRecord): Promise<boolean>;
  /** Takes the next seq under a lock every replica honours, builds the entry and inserts it. */
  appendAudit(build: (seq: number) => AuditEntryRecord): Promise<AuditEntryRecord>;
  /**
   * Runs `work` with every statement the store issues inside it (on this async path) in one
   * database transaction: committed when `work` resolves, rolled back when it throws. A call
   * made inside another joins it. The dialect decides how others wait (see each driver).
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;
  /** Turns a driver error into the IsotypError a Store method throws. */
  toError(error: unknown): IsotypError;
  /**
   * What other processes have written, for `Store.stamp`: a value that changes when another
   * connection commits a write to one of `tables`, or undefined when that cannot be followed
   * right now.
   */
  foreignWrites(tables: readonly TableName[]): string | undefined;
}
