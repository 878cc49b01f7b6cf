import type { Namespace } from '@isotyp/protocol';
import { byName } from '../../schema/schema-digest.js';
import {
  type CatalogContext,
  collationName,
  commentJoin,
  groupBy,
  notExtensionMember,
  rows,
  userNamespace,
} from './catalog-sql.js';

type Enum = Namespace['enums'][number];
type Domain = Namespace['domains'][number];

/** An object together with the schema it lives in. */
export interface InSchema<T> {
  schema: string;
  value: T;
}

interface EnumRow {
  schema: string;
  name: string;
  values: string[];
  comment: string | null;
}

const enumsSql = `
SELECT n.nspname AS schema, t.typname AS name,
  ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values,
  d.description AS comment
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
${commentJoin('d', 'pg_type', 't.oid')}
WHERE t.typtype = 'e' AND ${userNamespace('n')} AND ${notExtensionMember('pg_type', 't.oid')}`;

/** Enums, values in their sort order (the order comparisons use, not creation order). */
export async function readEnums(ctx: CatalogContext): Promise<InSchema<Enum>[]> {
  return (await rows<EnumRow>(ctx, enumsSql)).map((r) => ({
    schema: r.schema,
    value: { name: r.name, values: r.values, comment: r.comment },
  }));
}

interface DomainRow {
  oid: number;
  schema: string;
  name: string;
  type: string;
  not_null: boolean;
  default: string | null;
  collation: string | null;
  comment: string | null;
}

// The default is deparsed from typdefaultbin (as pg_dump does), not copied from typdefault.
const domainsSql = `
SELECT t.oid, n.nspname AS schema, t.typname AS name, format_type(t.typbasetype, t.typtypmod) AS type,
  t.typnotnull AS not_null, pg_get_expr(t.typdefaultbin, 'pg_type'::regclass, true) AS default,
  CASE WHEN t.typcollation <> bt.typcollation THEN ${collationName('t.typcollation')} END AS collation,
  d.description AS comment
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
${commentJoin('d', 'pg_type', 't.oid')}
WHERE t.typtype = 'd' AND ${userNamespace('n')} AND ${notExtensionMember('pg_type', 't.oid')}`;

interface DomainCheckRow {
  domain: number;
  name: string;
  expression: string;
  comment: string | null;
}

const domainChecksSql = `
SELECT co.contypid AS domain, co.conname AS name, pg_get_expr(co.conbin, 0, true) AS expression,
  d.description AS comment
FROM pg_constraint co
JOIN pg_type t ON t.oid = co.contypid
JOIN pg_namespace n ON n.oid = t.typnamespace
${commentJoin('d', 'pg_constraint', 'co.oid')}
WHERE co.contype = 'c' AND t.typtype = 'd' AND ${userNamespace('n')}`;

/** Domains with their base type, NOT NULL, default, CHECK constraints and collation. */
export async function readDomains(ctx: CatalogContext): Promise<InSchema<Domain>[]> {
  const [domains, checkRows] = await Promise.all([
    rows<DomainRow>(ctx, domainsSql),
    rows<DomainCheckRow>(ctx, domainChecksSql),
  ]);
  const checks = groupBy(checkRows, (c) => c.domain);
  return domains.map((r) => ({
    schema: r.schema,
    value: {
      name: r.name,
      type: r.type,
      nullable: !r.not_null,
      default: r.default,
      checks: byName(
        (checks.get(r.oid) ?? []).map((c) => ({ name: c.name, expression: c.expression, comment: c.comment })),
      ),
      collation: r.collation,
      comment: r.comment,
    },
  }));
}
