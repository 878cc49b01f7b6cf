import { count, type SQL } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Runner, SelectOptions, Tables } from '../core/driver.js';
import { addedFromExcluded, fromExcluded } from '../core/query.js';
import { recordsOf } from '../core/records.js';
import type { SameRows, TableName } from '../core/rows.js';
import * as schema from './schema.js';

/** The schema module is the table map: its exports are named exactly as core/rows.ts names the tables. */
export const tables = schema satisfies Tables;

// Fails to compile when a column here stops selecting the type core/rows.ts maps, which is
// what makes the casts below sound.
const rowsMatch: SameRows<typeof tables> = true;
void rowsMatch;

/**
 * The shared primitives on better-sqlite3. Every call is synchronous underneath: one statement
 * runs to completion before the event loop moves on, and other processes wait on busy_timeout.
 */
export function sqliteRunner(db: BetterSQLite3Database): Runner {
  const table = (name: TableName): SQLiteTable => tables[name];
  return {
    async select<K extends TableName>(name: K, where: SQL | undefined, options: SelectOptions = {}) {
      let query = db.select().from(table(name)).where(where).$dynamic();
      if (options.orderBy !== undefined) query = query.orderBy(...options.orderBy);
      if (options.limit !== undefined) query = query.limit(options.limit);
      return recordsOf<K>(query.all());
    },
    async insert(name, values, skipConflictOn) {
      const insert = db.insert(table(name)).values(values);
      const result =
        skipConflictOn === undefined
          ? insert.run()
          : skipConflictOn === 'any'
            ? insert.onConflictDoNothing().run()
            : insert.onConflictDoNothing({ target: skipConflictOn as SQLiteColumn[] }).run();
      return result.changes > 0;
    },
    async upsert(name, rows, conflictOn, replace) {
      if (rows.length === 0) return;
      const set = fromExcluded(table(name), replace);
      db.insert(table(name))
        .values(rows as never)
        .onConflictDoUpdate({ target: conflictOn as SQLiteColumn[], set })
        .run();
    },
    async accumulate<K extends TableName>(name: K, rows: readonly unknown[], conflictOn: unknown[], column: string) {
      if (rows.length === 0) return [];
      const set = addedFromExcluded(table(name), column);
      return recordsOf<K>(
        db
          .insert(table(name))
          .values(rows as never)
          .onConflictDoUpdate({ target: conflictOn as SQLiteColumn[], set })
          .returning()
          .all(),
      );
    },
    async update<K extends TableName>(name: K, set: object, where: SQL) {
      return recordsOf<K>(db.update(table(name)).set(set).where(where).returning().all());
    },
    async delete(name, where) {
      return db.delete(table(name)).where(where).run().changes;
    },
    async count(name, where) {
      return db.select({ n: count() }).from(table(name)).where(where).get()?.n ?? 0;
    },
  };
}
