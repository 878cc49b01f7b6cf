import type pg from 'pg';
import { notExtensionMember, userNamespace } from './catalog-sql.js';

/*
 * Approximate rows per table from the statistics PostgreSQL already keeps, so lint rules can
 * weigh lock impact without scanning anything. reltuples is -1 until a table is first
 * vacuumed or analysed; n_live_tup counts inserts since then. A partitioned table counts the
 * rows of its whole partition tree (pg_partition_tree lists nothing for a plain table).
 */
const rowCountsSql = `
SELECT n.nspname AS schema, c.relname AS name,
  (SELECT coalesce(sum(GREATEST(pc.reltuples::int8, coalesce(s.n_live_tup, 0), 0)), 0)
     FROM (SELECT c.oid AS relid WHERE c.relkind = 'r'
           UNION ALL SELECT relid FROM pg_partition_tree(c.oid) WHERE c.relkind = 'p') pt
     JOIN pg_class pc ON pc.oid = pt.relid
     LEFT JOIN pg_stat_user_tables s ON s.relid = pc.oid
     WHERE pc.relkind IN ('r', 'm')) AS rows
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

/** Approximate rows of every table, keyed `schema.table`; read locally, never sent anywhere. */
export async function readRowCounts(client: pg.ClientBase): Promise<Map<string, number>> {
  const result = await client.query<{ schema: string; name: string; rows: string }>(rowCountsSql);
  return new Map(result.rows.map((r) => [`${r.schema}.${r.name}`, Number(r.rows)]));
}
