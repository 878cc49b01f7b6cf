import type { SchemaModel } from '@isotyp/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { type Detector, ref, suggest, tablesOf } from './detector.js';

/**
 * Counts, for every nullable column, the table's rows and the column's NULLs — by reading the
 * data, which is why the advisor does it only when asked (`isotyp suggest --read-data`). One
 * aggregate query per table; nothing but the two counts leaves the query, and nothing leaves
 * the site. Keyed `namespace.table.column`.
 */
export async function countNulls(
  model: SchemaModel,
  query: (sql: string) => Promise<Record<string, unknown>>,
  quote: (name: string) => string,
): Promise<Map<string, { rows: number; nulls: number }>> {
  const counts = new Map<string, { rows: number; nulls: number }>();
  for (const { namespace, table } of tablesOf(model)) {
    // Primary-key columns never hold NULL whatever the catalogue says (SQLite reports a rowid
    // alias as nullable); generated columns follow their expression.
    const key = new Set(table.primaryKey?.columns ?? []);
    const nullable = table.columns.filter((c) => c.nullable && c.generated === null && !key.has(c.name));
    if (nullable.length === 0) continue;
    const qualified = model.dialect === 'postgres' ? `${quote(namespace)}.${quote(table.name)}` : quote(table.name);
    const columns = nullable.map((c, i) => `count(${quote(c.name)}) AS c${i}`).join(', ');
    const row = await query(`SELECT count(*) AS total, ${columns} FROM ${qualified}`);
    const rows = Number(row.total);
    nullable.forEach((c, i) => {
      counts.set(`${namespace}.${table.name}.${c.name}`, { rows, nulls: rows - Number(row[`c${i}`]) });
    });
  }
  return counts;
}

export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** `countNulls` over a PostgreSQL connection. */
export const postgresNullQuery = (client: pg.ClientBase) => async (sql: string) =>
  (await client.query(sql)).rows[0] as Record<string, unknown>;

/** `countNulls` over a SQLite connection. */
export const sqliteNullQuery = (db: Database.Database) => async (sql: string) =>
  db.prepare(sql).get() as Record<string, unknown>;

export const nullableWithoutNulls: Detector = {
  kind: 'nullable-without-nulls',
  needs: 'data',
  summary: 'A nullable column that holds no NULL (read locally, opt-in): NOT NULL would say so and guard it.',
  detect: (context) => {
    const counts = context.nullCounts;
    if (counts === undefined) return [];
    return [...tablesOf(context.model)].flatMap(({ namespace, table }) =>
      table.columns.flatMap((column) => {
        const seen = counts.get(`${namespace}.${table.name}.${column.name}`);
        if (!column.nullable || seen === undefined || seen.rows < 100 || seen.nulls > 0) return [];
        return [
          suggest({
            kind: 'nullable-without-nulls',
            objects: [ref('column', namespace, `${table.name}.${column.name}`)],
            rationale: `${table.name}.${column.name} may be NULL but none of its ${seen.rows} rows is: if that is by design, NOT NULL documents it and keeps it so.`,
            edits: [{ op: 'set-not-null', namespace, table: table.name, column: column.name }],
            impact: 'low',
            confidence: seen.rows >= 10_000 ? 0.7 : 0.55,
            risk: 'caution',
            evidence: { rows: seen.rows },
          }),
        ];
      }),
    );
  },
};

export const dataRules: Detector[] = [nullableWithoutNulls];
