import type { ForeignKey, Table } from '@isotyp/protocol';
import { byName } from '../../schema/schema-digest.js';
import { type CatalogContext, commentJoin, groupBy, notExtensionMember, rows, userNamespace } from './catalog-sql.js';

interface ConstraintRow {
  rel: number;
  name: string;
  type: 'p' | 'u' | 'f' | 'c' | 'x';
  keys: number[] | null;
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
  on_update: string;
  on_delete: string;
  match: string;
  deferrable: boolean;
  deferred: boolean;
  definition: string | null;
  nulls_not_distinct: boolean;
  comment: string | null;
}

/*
 * Constraints cloned onto partitions (conparentid <> 0) or inherited from a parent table
 * (not conislocal) are left out: they come with the parent's and cannot be changed alone.
 * The constrained columns come as attribute numbers, named from the columns already read;
 * only a foreign key's referenced table and columns are looked up here. CHECK and EXCLUDE
 * text comes from pg_get_constraintdef (which opens the table to name its columns: most of
 * this query's time on thousands of tables, and unavoidable).
 *
 * For speed on thousands of tables, the tables are chosen first (OFFSET 0 keeps that subquery
 * whole, so the extension-membership test runs once per table, not once per constraint), and
 * what only some constraints need is looked up behind a test of their type (a LATERAL
 * subquery whose WHERE names only the outer row is skipped when the test fails; a plain
 * LEFT JOIN ran its lookup for every constraint and discarded the result).
 */
function constraintsSql(version: number): string {
  return `
SELECT co.conrelid AS rel, co.conname AS name, co.contype AS type,
  co.conkey AS keys, ref.schema AS ref_schema, ref.table AS ref_table, ref.columns AS ref_columns,
  co.confupdtype AS on_update, co.confdeltype AS on_delete, co.confmatchtype AS match,
  co.condeferrable AS deferrable, co.condeferred AS deferred,
  CASE WHEN co.contype IN ('c', 'x') THEN pg_get_constraintdef(co.oid, true) END AS definition,
  ${
    version >= 150000
      ? `coalesce((SELECT ix.indnullsnotdistinct FROM pg_index ix WHERE co.contype = 'u' AND ix.indexrelid = co.conindid), false)`
      : 'false'
  } AS nulls_not_distinct,
  d.description AS comment
FROM (
  SELECT c.oid FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}
  OFFSET 0
) c
JOIN pg_constraint co ON co.conrelid = c.oid
LEFT JOIN LATERAL (
  SELECT fn.nspname AS schema, fc.relname AS table,
    ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(num, ord)
      JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num ORDER BY k.ord) AS columns
  FROM pg_class fc JOIN pg_namespace fn ON fn.oid = fc.relnamespace
  WHERE co.contype = 'f' AND fc.oid = co.confrelid
  OFFSET 0
) ref ON true
${commentJoin('d', 'pg_constraint', 'co.oid')}
WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND co.conparentid = 0 AND co.conislocal`;
}

export type TableConstraints = Pick<Table, 'primaryKey' | 'uniques' | 'foreignKeys' | 'checks' | 'exclusions'>;

const ACTIONS: Record<string, ForeignKey['onDelete']> = {
  a: 'no-action',
  r: 'restrict',
  c: 'cascade',
  n: 'set-null',
  d: 'set-default',
};
const MATCH: Record<string, ForeignKey['match']> = { s: 'simple', f: 'full', p: 'partial' };

/**
 * Keys, uniques, foreign keys, checks and exclusions of every table, by table OID.
 * `columnNames` names each table's columns by attribute number; it may still be on its way
 * (the query is sent at once all the same).
 */
export async function readConstraints(
  ctx: CatalogContext,
  columnNames: Map<number, Map<number, string>> | Promise<Map<number, Map<number, string>>>,
): Promise<Map<number, TableConstraints>> {
  const [all, attnames] = await Promise.all([rows<ConstraintRow>(ctx, constraintsSql(ctx.version)), columnNames]);
  const result = new Map<number, TableConstraints>();
  for (const [rel, group] of groupBy(all, (r) => r.rel)) {
    const names = attnames.get(rel);
    const columns = (r: ConstraintRow): string[] => (r.keys ?? []).map((k) => names?.get(k) ?? String(k));
    const pk = group.find((r) => r.type === 'p');
    result.set(rel, {
      primaryKey: pk === undefined ? null : { name: pk.name, columns: columns(pk), comment: pk.comment },
      uniques: byName(
        group
          .filter((r) => r.type === 'u')
          .map((r) => ({
            name: r.name,
            columns: columns(r),
            nullsNotDistinct: r.nulls_not_distinct,
            comment: r.comment,
          })),
      ),
      foreignKeys: byName(group.filter((r) => r.type === 'f').map((r) => toForeignKey(r, columns(r)))),
      checks: byName(
        group
          .filter((r) => r.type === 'c')
          .map((r) => ({ name: r.name, expression: checkExpression(r.definition ?? ''), comment: r.comment })),
      ),
      exclusions: byName(
        group
          .filter((r) => r.type === 'x')
          .map((r) => ({ name: r.name, definition: r.definition ?? '', comment: r.comment })),
      ),
    });
  }
  return result;
}

/**
 * The expression inside `CHECK (…)`, as pg_get_constraintdef prints it, without the
 * NO INHERIT / NOT VALID the server may append.
 */
export function checkExpression(definition: string): string {
  let text = definition;
  for (const suffix of [' NOT VALID', ' NO INHERIT']) if (text.endsWith(suffix)) text = text.slice(0, -suffix.length);
  return text.startsWith('CHECK (') && text.endsWith(')') ? text.slice('CHECK ('.length, -1) : text;
}

function toForeignKey(row: ConstraintRow, columns: string[]): ForeignKey {
  return {
    name: row.name,
    columns,
    refSchema: row.ref_schema,
    refTable: row.ref_table ?? '',
    refColumns: row.ref_columns ?? [],
    onDelete: ACTIONS[row.on_delete] ?? 'no-action',
    onUpdate: ACTIONS[row.on_update] ?? 'no-action',
    match: MATCH[row.match] ?? 'simple',
    deferrable: row.deferrable,
    initiallyDeferred: row.deferred,
    comment: row.comment,
  };
}

/** A table without constraints. */
export const NO_CONSTRAINTS: TableConstraints = {
  primaryKey: null,
  uniques: [],
  foreignKeys: [],
  checks: [],
  exclusions: [],
};
