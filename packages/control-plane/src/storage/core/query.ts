import { and, getTableName, type SQL, sql, type Table } from 'drizzle-orm';

/** `a AND b AND …` as a definite condition (drizzle's `and` may return undefined). */
export function allOf(first: SQL, ...rest: (SQL | undefined)[]): SQL {
  return and(first, ...rest) ?? first;
}

/** The first row of a select, if any. */
export async function first<T>(rows: Promise<T[]>): Promise<T | undefined> {
  return (await rows)[0];
}

/** The record form of each row. */
export async function mapRows<Row, T>(rows: Promise<Row[]>, map: (row: Row) => T): Promise<T[]> {
  return (await rows).map(map);
}

/** The SQL name of `table`'s column under the property name `column`. */
function columnName(table: Table, column: string): string {
  return ((table as unknown as Record<string, { name: string }>)[column] as { name: string }).name;
}

/** The SET of an upsert that replaces `columns` with what the conflicting insert brought (both dialects). */
export function fromExcluded(table: Table, columns: readonly string[]): Record<string, SQL> {
  return Object.fromEntries(columns.map((column) => [column, sql.raw(`excluded."${columnName(table, column)}"`)]));
}

/** The SET of an upsert that adds the conflicting insert's `column` to the stored one (both dialects). */
export function addedFromExcluded(table: Table, column: string): Record<string, SQL> {
  const name = columnName(table, column);
  return { [column]: sql.raw(`"${getTableName(table)}"."${name}" + excluded."${name}"`) };
}
