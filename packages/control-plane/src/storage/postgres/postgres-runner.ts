import { count, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
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
 * The shared primitives on node-postgres: each one statement on whichever pooled connection is
 * free, or on the open transaction's connection when `current` gives one.
 */
export function postgresRunner(current: () => NodePgDatabase): Runner {
  const table = (name: TableName): PgTable => tables[name];
  return {
    async select<K extends TableName>(name: K, where: SQL | undefined, options: SelectOptions = {}) {
      let query = current().select().from(table(name)).where(where).$dynamic();
      if (options.orderBy !== undefined) query = query.orderBy(...options.orderBy);
      if (options.limit !== undefined) query = query.limit(options.limit);
      return recordsOf<K>(await query);
    },
    async insert(name, values, skipConflictOn) {
      const insert = current().insert(table(name)).values(values);
      const { rowCount } = await (skipConflictOn === undefined
        ? insert
        : skipConflictOn === 'any'
          ? insert.onConflictDoNothing()
          : insert.onConflictDoNothing({ target: skipConflictOn as PgColumn[] }));
      return (rowCount ?? 0) > 0;
    },
    async upsert(name, rows, conflictOn, replace) {
      if (rows.length === 0) return;
      const set = fromExcluded(table(name), replace);
      await current()
        .insert(table(name))
        .values(rows as never)
        .onConflictDoUpdate({ target: conflictOn as PgColumn[], set });
    },
    async accumulate<K extends TableName>(name: K, rows: readonly unknown[], conflictOn: unknown[], column: string) {
      if (rows.length === 0) return [];
      const set = addedFromExcluded(table(name), column);
      return recordsOf<K>(
        await current()
          .insert(table(name))
          .values(rows as never)
          .onConflictDoUpdate({ target: conflictOn as PgColumn[], set })
          .returning(),
      );
    },
    async update<K extends TableName>(name: K, set: object, where: SQL) {
      return recordsOf<K>(await current().update(table(name)).set(set).where(where).returning());
    },
    async delete(name, where) {
      return (await current().delete(table(name)).where(where)).rowCount ?? 0;
    },
    async count(name, where) {
      const [row] = await current().select({ n: count() }).from(table(name)).where(where);
      return row?.n ?? 0;
    },
  };
}
