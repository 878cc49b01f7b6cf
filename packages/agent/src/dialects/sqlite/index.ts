import { existsSync } from 'node:fs';
import { IsotypError, type SchemaModel } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import type { Dialect, DialectConnection } from '../dialect.js';
import { introspectSqlite } from './introspect.js';

export interface SqliteTarget {
  path: string;
  /** Open without write access (introspection, drift checks). */
  readonly?: boolean;
  /** How long to wait for another writer's lock before giving up (ISOTYP_LOCK_TIMEOUT). */
  lockTimeoutMs?: number;
}

/** SQLite through better-sqlite3: transactional DDL, one namespace, table rebuilds for type changes. */
export const sqliteDialect: Dialect<SqliteTarget> = {
  name: 'sqlite',
  capabilities: { transactionalDdl: true, namespaces: false, alterColumnType: false },
  async connect(target: SqliteTarget): Promise<DialectConnection> {
    const db = openSqlite(target);
    return {
      async introspect(): Promise<SchemaModel> {
        return introspectSqlite(db);
      },
      async serverVersion(): Promise<string> {
        return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
      },
      async rowCounts(): Promise<Map<string, number>> {
        const counts = new Map<string, number>();
        for (const table of introspectSqlite(db).namespaces[0]?.tables ?? []) {
          const row = db.prepare(`SELECT count(*) AS n FROM "${table.name.replaceAll('"', '""')}"`).get() as {
            n: number;
          };
          counts.set(`main.${table.name}`, row.n);
        }
        return counts;
      },
      async close(): Promise<void> {
        db.close();
      },
    };
  },
};

/** Opens a SQLite file, turning driver failures into ISOTYP_TARGET_UNREACHABLE with a hint. */
export function openSqlite(target: SqliteTarget): Database.Database {
  const readonly = target.readonly ?? true;
  if (target.path !== ':memory:' && !existsSync(target.path)) {
    throw new IsotypError('ISOTYP_TARGET_UNREACHABLE', `The SQLite database ${target.path} does not exist.`, {
      hint: 'Check the path after sqlite:, relative to the current directory.',
    });
  }
  try {
    const db = new Database(target.path, {
      readonly,
      fileMustExist: target.path !== ':memory:',
      timeout: target.lockTimeoutMs ?? 10_000,
    });
    // Fail now, not at first use, when the file is not a database.
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'SQLITE_NOTADB' ? 'is not a SQLite database' : 'could not be opened';
    throw new IsotypError('ISOTYP_TARGET_UNREACHABLE', `The file ${target.path} ${why}.`, {
      hint: code === 'SQLITE_NOTADB' ? 'Point sqlite: at a SQLite database file.' : 'Check the file permissions.',
      details: { driverCode: code ?? null },
      cause: error,
    });
  }
}
