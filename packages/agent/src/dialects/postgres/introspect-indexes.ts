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
 * the parent index), on tables, partitioned tables and materialized views. The relations are
 * chosen first (OFFSET 0 keeps that subquery whole: the extension-membership test then runs
 * once per relation, and the planner hashes pg_constraint instead of probing it per index).
 */
const INDEX_FROM = `
FROM (
  SELECT c.oid FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm') AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}
  OFFSET 0
) c
JOIN pg_index i ON i.indrelid = c.oid
JOIN pg_class ic ON ic.oid = i.indexrelid`;
const INDEX_WHERE = `
WHERE NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid
    AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x'))`;

/** One row per index column, each with its index's own fields. */
interface IndexKeyRow {
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
  /** The column's position in the index; null only for an index without columns. */
  ord: number | null;
  column: string | null;
  definition: string | null;
  option: number | null;
  collation: string | null;
  opclass: string | null;
}

/*
 * One row per index column, carrying its index's fields too (one query, so the indexes are
 * chosen once). indcollation, indclass and indoption cover only key columns, so the INCLUDE
 * columns at the end come out with nulls there. A column key's collation is reported when it
 * differs from the column's; an expression key's when it differs from its type's default —
 * the collation the index really uses, so `lower(email)` over a "C" column and
 * `lower(email) COLLATE "C"` read the same, as they are the same index. The operator class is
 * reported only when it is not the default one.
 *
 * For speed on thousands of indexes: the indexes are chosen first (OFFSET 0 keeps the planner
 * from unnesting the keys of the constraints' indexes too), a key's column is looked up by
 * attribute number (left to itself the planner hashed all of pg_attribute), and the index
 * column's type is read only for an expression key (COALESCE evaluates its second argument
 * only when the first is null, and a column's attcollation never is).
 */
function indexesSql(version: number): string {
  return `
SELECT i.indexrelid AS oid, i.indrelid AS rel, i.relname AS name, i.indisunique AS unique,
  am.amname AS method, pg_indexam_has_property(am.oid, 'can_order') AS ordered,
  i.indnkeyatts AS key_count, pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
  i.nulls_not_distinct, i.indisvalid AS valid, d.description AS comment,
  k.ord, ta.attname::text AS column,
  CASE WHEN k.num = 0 THEN pg_get_indexdef(i.indexrelid, k.ord::int, true) END AS definition, k.opt AS option,
  CASE WHEN k.coll IS NULL OR k.coll = 0 OR k.coll = coalesce(ta.attcollation,
      (SELECT ty.typcollation FROM pg_attribute ia JOIN pg_type ty ON ty.oid = ia.atttypid
        WHERE ia.attrelid = i.indexrelid AND ia.attnum = k.ord)) THEN NULL
    ELSE ${collationName('k.coll')} END AS collation,
  CASE WHEN oc.opcdefault IS DISTINCT FROM false THEN NULL
    ELSE ${qualifiedName('ocn.nspname', 'oc.opcname')} END AS opclass
FROM (
  SELECT i.indexrelid, i.indrelid, i.indkey, i.indcollation, i.indclass, i.indoption, i.indisunique,
    i.indnkeyatts, i.indpred, i.indisvalid, ic.relname, ic.relam,
    ${version >= 150000 ? 'i.indnullsnotdistinct' : 'false'} AS nulls_not_distinct
  ${INDEX_FROM}
  ${INDEX_WHERE}
  OFFSET 0
) i
JOIN pg_am am ON am.oid = i.relam
${commentJoin('d', 'pg_class', 'i.indexrelid')}
LEFT JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[], i.indclass::oid[], i.indoption::int2[])
  WITH ORDINALITY AS k(num, coll, opc, opt, ord) ON true
LEFT JOIN LATERAL (SELECT ta.attname, ta.attcollation FROM pg_attribute ta
  WHERE k.num <> 0 AND ta.attrelid = i.indrelid AND ta.attnum = k.num OFFSET 0) ta ON true
LEFT JOIN pg_opclass oc ON oc.oid = k.opc
LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
ORDER BY i.indexrelid, k.ord`;
}

// pg_index.indoption bits (see pg_index.h).
const INDOPTION_DESC = 1;
const INDOPTION_NULLS_FIRST = 2;

/** The indexes of every table and materialized view, by the relation's OID. */
export async function readIndexes(ctx: CatalogContext): Promise<Map<number, Index[]>> {
  const result = new Map<number, Index[]>();
  for (const [, keys] of groupBy(await rows<IndexKeyRow>(ctx, indexesSql(ctx.version)), (r) => r.oid)) {
    const row = keys[0] as IndexKeyRow;
    const index = toIndex(
      row,
      keys.filter((k) => k.ord !== null),
    );
    const onRelation = result.get(row.rel);
    if (onRelation === undefined) result.set(row.rel, [index]);
    else onRelation.push(index);
  }
  return result;
}

function toIndex(row: IndexKeyRow, keys: IndexKeyRow[]): Index {
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
