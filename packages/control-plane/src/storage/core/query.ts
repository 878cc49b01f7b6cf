import { and, type SQL } from 'drizzle-orm';

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
