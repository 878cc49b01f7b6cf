import type { Index } from '@isotyp/protocol';
import {
  type CatalogContext,
  collationName,
  commentJoin,
  groupBy,
  notExtensionMember,
  qualifiedName,
  rows,
  userNamespace,
} from './catalog-sql.js';

/*
 * Indexes that are not there because of a constraint (primary key, unique, exclusion: those
 * are in the constraints) and are not a partition of a partitioned index (created and owned by
 * the parent index), on tables, partitioned tables and materialized views.
 */
const INDEX_FROM = `
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace`;
const INDEX_WHERE = `
WHERE c.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid
    AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))
  AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

interface IndexRow {
  oid: number;
  rel: number;
  name: string;
  unique: boolean;
  method: string;
  ordered: boolean;
  key_count: number;
  predicate: string | null;
  nulls_not_distinct: boolean;
  valid: boolean;
  comment: string | null;
}

function indexesSql(version: number): string {
  return `
SELECT i.indexrelid AS oid, i.indrelid AS rel, ic.relname AS name, i.indisunique AS unique,
  am.amname AS method, pg_indexam_has_property(am.oid, 'can_order') AS ordered,
  i.indnkeyatts AS key_count, pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
  ${version >= 150000 ? 'i.indnullsnotdistinct' : 'false'} AS nulls_not_distinct,
  i.indisvalid AS valid,
  d.description AS comment
${INDEX_FROM}
JOIN pg_am am ON am.oid = ic.relam
${commentJoin('d', 'pg_class', 'i.indexrelid')}
${INDEX_WHERE}`;
}

interface KeyRow {
  index: number;
  column: string | null;
  definition: string | null;
  option: number | null;
  collation: string | null;
  opclass: string | null;
}

/*
 * One row per index column. indcollation, indclass and indoption cover only key columns, so
 * the INCLUDE columns at the end come out with nulls there. A column key's collation is
 * reported when it differs from the column's; an expression key's when it differs from its
 * type's default — the collation the index really uses, so `lower(email)` over a "C" column
 * and `lower(email) COLLATE "C"` read the same, as they are the same index. The operator
 * class is reported only when it is not the default one.
 */
const keysSql = `
SELECT i.indexrelid AS index, ta.attname::text AS column,
  CASE WHEN k.num = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END AS definition, k.opt AS option,
  CASE WHEN k.coll IS NULL OR k.coll = 0 OR k.coll = coalesce(ta.attcollation, ty.typcollation) THEN NULL
    ELSE ${collationName('k.coll')} END AS collation,
  CASE WHEN oc.opcdefault IS DISTINCT FROM false THEN NULL
    ELSE ${qualifiedName('ocn.nspname', 'oc.opcname')} END AS opclass
${INDEX_FROM}
CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[], i.indclass::oid[], i.indoption::int2[])
  WITH ORDINALITY AS k(num, coll, opc, opt, ord)
JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord
JOIN pg_type ty ON ty.oid = ia.atttypid
LEFT JOIN pg_attribute ta ON k.num <> 0 AND ta.attrelid = i.indrelid AND ta.attnum = k.num
LEFT JOIN pg_opclass oc ON oc.oid = k.opc
LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
${INDEX_WHERE}
ORDER BY i.indexrelid, k.ord`;

// pg_index.indoption bits (see pg_index.h).
const INDOPTION_DESC = 1;
const INDOPTION_NULLS_FIRST = 2;

/** The indexes of every table and materialized view, by the relation's OID. */
export async function readIndexes(ctx: CatalogContext): Promise<Map<number, Index[]>> {
  const indexes = await rows<IndexRow>(ctx, indexesSql(ctx.version));
  const keys = groupBy(await rows<KeyRow>(ctx, keysSql), (k) => k.index);
  const result = new Map<number, Index[]>();
  for (const [rel, group] of groupBy(indexes, (i) => i.rel)) {
    result.set(
      rel,
      group.map((row) => toIndex(row, keys.get(row.oid) ?? [])),
    );
  }
  return result;
}

function toIndex(row: IndexRow, keys: KeyRow[]): Index {
  return {
    name: row.name,
    unique: row.unique,
    keys: keys.slice(0, row.key_count).map((k) => {
      const option = k.option ?? 0;
      return {
        column: k.column,
        expression: k.column === null ? k.definition : null,
        order: row.ordered && (option & INDOPTION_DESC) !== 0 ? 'desc' : 'asc',
        nulls: row.ordered ? ((option & INDOPTION_NULLS_FIRST) !== 0 ? 'first' : 'last') : null,
        collation: k.collation,
        opclass: k.opclass,
      };
    }),
    include: keys.slice(row.key_count).map((k) => k.column ?? k.definition ?? ''),
    where: row.predicate,
    method: row.method,
    comment: row.comment,
    nullsNotDistinct: row.nulls_not_distinct,
    // A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; it must not digest
    // like a working one, or drift could not see it.
    ...(row.valid ? {} : { invalid: true }),
  };
}
