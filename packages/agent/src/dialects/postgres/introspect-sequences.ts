import type { Namespace } from '@isotyp/protocol';
import { type CatalogContext, commentJoin, notExtensionMember, rows, userNamespace } from './catalog-sql.js';
import type { InSchema } from './introspect-types.js';

type Sequence = Namespace['sequences'][number];

interface SequenceRow {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  owner_schema: string | null;
  owner_table: string | null;
  owner_column: string | null;
  comment: string | null;
}

/*
 * Sequences a user created (serial columns' included, with the column that owns them through
 * an 'a' dependency). Identity columns' sequences ('i' dependency) are part of the column's
 * identity and left out — first, in a subquery the planner keeps (OFFSET 0), so that the
 * thousands of identity sequences of a large schema are not joined to everything else only to
 * be dropped at the end. The current value is data, not schema, and is never read.
 */
const sequencesSql = `
SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type,
  s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max,
  s.seqcache AS cache, s.seqcycle AS cycle,
  tn.nspname AS owner_schema, tc.relname AS owner_table, ta.attname AS owner_column,
  d.description AS comment
FROM (
  SELECT s.* FROM pg_sequence s
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend idn WHERE idn.classid = 'pg_class'::regclass
    AND idn.objid = s.seqrelid AND idn.refclassid = 'pg_class'::regclass AND idn.deptype = 'i')
  OFFSET 0
) s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend own ON own.classid = 'pg_class'::regclass AND own.objid = c.oid
  AND own.refclassid = 'pg_class'::regclass AND own.refobjsubid > 0 AND own.deptype = 'a'
LEFT JOIN pg_class tc ON tc.oid = own.refobjid
LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
LEFT JOIN pg_attribute ta ON ta.attrelid = own.refobjid AND ta.attnum = own.refobjsubid
${commentJoin('d', 'pg_class', 'c.oid')}
WHERE ${userNamespace('n')} AND ${notExtensionMember('pg_class', 'c.oid')}`;

/**
 * Sequences with their parameters. `ownedBy` is `table.column`, or `schema.table.column`
 * when the owning table is in another schema than the sequence.
 */
export async function readSequences(ctx: CatalogContext): Promise<InSchema<Sequence>[]> {
  return (await rows<SequenceRow>(ctx, sequencesSql)).map((r) => {
    let ownedBy: string | null = null;
    if (r.owner_table !== null && r.owner_column !== null) {
      const table = r.owner_schema === r.schema ? r.owner_table : `${r.owner_schema}.${r.owner_table}`;
      ownedBy = `${table}.${r.owner_column}`;
    }
    return {
      schema: r.schema,
      value: {
        name: r.name,
        type: r.type,
        start: r.start,
        increment: r.increment,
        min: r.min,
        max: r.max,
        cache: r.cache,
        cycle: r.cycle,
        ownedBy,
        comment: r.comment,
      },
    };
  });
}
