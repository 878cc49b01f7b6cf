import type { Column, Table, View } from '@isotyp/protocol';
import {
  type CatalogContext,
  collationName,
  commentJoin,
  groupBy,
  notExtensionMember,
  rows,
  userNamespace,
} from './catalog-sql.js';

/** Ordinary and partitioned tables, views and materialized views, with what the model keeps. */
export interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  kind: 'r' | 'p' | 'v' | 'm';
  unlogged: boolean;
  row_security: boolean;
  force_row_security: boolean;
  with: string | null;
  partition_by: string | null;
  partition_of: string | null;
  partition_bound: string | null;
  inherits: string | null;
  access_method: string | null;
  definition: string | null;
  comment: string | null;
}

const RELATION_KINDS = `('r', 'p', 'v', 'm')`;

const relationsSql = `
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind,
  c.relpersistence = 'u' AS unlogged, c.relrowsecurity AS row_security,
  c.relforcerowsecurity AS force_row_security,
  array_to_string(c.reloptions, ', ') AS with,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_by,
  CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) END AS partition_of,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, 0, true) END AS partition_bound,
  CASE WHEN NOT c.relispartition THEN (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid) END AS inherits,
  am.amname AS access_method,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition,
  d.description AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_am am ON c.relkind = 'r' AND am.oid = c.relam
${commentJoin('d', 'pg_class', 'c.oid')}
WHERE c.relkind IN ${RELATION_KINDS} AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

interface ColumnRow {
  rel: number;
  num: number;
  name: string;
  type: string;
  not_null: boolean;
  identity: '' | 'a' | 'd';
  generated: '' | 's';
  expression: string | null;
  collation: string | null;
  identity_start: string | null;
  identity_increment: string | null;
  comment: string | null;
}

/*
 * The identity sequence is found through its internal ('i') dependency on the column. Those
 * dependencies are read once and hash-joined (the OFFSET 0 keeps the planner from probing
 * pg_depend once per column, identity or not: a third of the query's time on 5,000 tables). A
 * default cannot refer to columns, so it is deparsed without its table (relid 0): giving the
 * table makes pg_get_expr open and lock it, ten times the cost over thousands of columns.
 * Generated expressions do refer to columns and get their table. No ORDER BY: sorting 35,000
 * wide rows spilled to disk and held every row back until the last was read; readRelations
 * puts each relation's columns in order instead.
 */
const columnsSql = `
SELECT a.attrelid AS rel, a.attnum AS num, a.attname AS name,
  format_type(a.atttypid, a.atttypmod) AS type,
  a.attnotnull AS not_null, a.attidentity AS identity, a.attgenerated AS generated,
  pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0::oid ELSE ad.adrelid END, true) AS expression,
  CASE WHEN a.attcollation <> t.typcollation THEN ${collationName('a.attcollation')} END AS collation,
  ident.seqstart AS identity_start, ident.seqincrement AS identity_increment,
  d.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN (
  SELECT dep.refobjid, dep.refobjsubid, s.seqstart, s.seqincrement
  FROM pg_depend dep
  LEFT JOIN pg_sequence s ON s.seqrelid = dep.objid
  WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'i'
  OFFSET 0
) ident ON a.attidentity <> '' AND ident.refobjid = a.attrelid AND ident.refobjsubid = a.attnum
${commentJoin('d', 'pg_class', 'a.attrelid', 'a.attnum')}
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ${RELATION_KINDS}
  AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

export interface Relations {
  relations: RelationRow[];
  /** Columns of each relation by its OID, in column order. */
  columns: Map<number, Column[]>;
  /** Column names of each relation by its OID and attribute number, for constraint keys. */
  attnames: Map<number, Map<number, string>>;
}

export async function readRelations(ctx: CatalogContext): Promise<Relations> {
  const [relations, columnRows] = await Promise.all([
    rows<RelationRow>(ctx, relationsSql),
    rows<ColumnRow>(ctx, columnsSql),
  ]);
  const columns = new Map<number, Column[]>();
  const attnames = new Map<number, Map<number, string>>();
  for (const [rel, group] of groupBy(columnRows, (r) => r.rel)) {
    group.sort((a, b) => a.num - b.num);
    columns.set(rel, group.map(toColumn));
    attnames.set(rel, new Map(group.map((r) => [r.num, r.name])));
  }
  return { relations, columns, attnames };
}

function toColumn(row: ColumnRow): Column {
  const generated = row.generated === 's';
  return {
    name: row.name,
    type: row.type,
    nullable: !row.not_null,
    default: generated ? null : row.expression,
    identity:
      row.identity === ''
        ? null
        : {
            generation: row.identity === 'a' ? 'always' : 'by-default',
            start: row.identity_start ?? '1',
            increment: row.identity_increment ?? '1',
          },
    generated: generated ? { expression: row.expression ?? '', stored: true } : null,
    collation: row.collation,
    comment: row.comment,
  };
}

/**
 * Table options the neutral model has no field for, as SQL fragments ready for DDL:
 * `partitionBy` (`RANGE (payment_date)`), `partitionOf` (`public.payment`), `partitionBound`
 * (`FOR VALUES FROM (…) TO (…)`), `inherits`, `with` (storage parameters), `accessMethod`
 * (other than heap), `unlogged`, `rowSecurity`, `forceRowSecurity`.
 */
export function tableOptions(row: RelationRow): Table['options'] {
  const options: Table['options'] = {};
  if (row.partition_by !== null) options.partitionBy = row.partition_by;
  if (row.partition_of !== null) options.partitionOf = row.partition_of;
  if (row.partition_bound !== null) options.partitionBound = row.partition_bound;
  if (row.inherits !== null) options.inherits = row.inherits;
  if (row.with !== null) options.with = row.with;
  if (row.access_method !== null && row.access_method !== 'heap') options.accessMethod = row.access_method;
  if (row.unlogged) options.unlogged = true;
  if (row.row_security) options.rowSecurity = true;
  if (row.force_row_security) options.forceRowSecurity = true;
  return options;
}

/** View options: `with` holds check_option, security_barrier, security_invoker as set. */
export function viewOptions(row: RelationRow): NonNullable<View['options']> {
  return row.with === null ? {} : { with: row.with };
}
