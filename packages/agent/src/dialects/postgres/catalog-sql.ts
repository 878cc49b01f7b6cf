import type pg from 'pg';

/*
 * Fragments shared by the catalogue queries. Each query reads one kind of object for the whole
 * database (never one query per table), so a schema of thousands of tables costs a handful of
 * round trips. OIDs are read only to join rows in memory; none reaches the model.
 */

/** What the queries need to know about the server. */
export interface CatalogContext {
  client: pg.ClientBase;
  /** `server_version_num`, e.g. 150004. */
  version: number;
}

/**
 * Settings for the introspection transaction only. Most fix how the server prints: with
 * `search_path = pg_catalog` every user object is printed schema-qualified whatever the role's
 * own search_path, and with fixed date, time zone and number styles a constant in a default or
 * a partition bound prints the same everywhere. The last two are for speed: catalogue queries
 * over thousands of tables look expensive enough to the planner to be JIT-compiled (measured:
 * ~150 ms of compiling for a 250 ms query) and run in parallel workers that take longer to
 * start than the scan they share.
 */
export const INTROSPECTION_SETTINGS = [
  'SET LOCAL search_path = pg_catalog',
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL TimeZone = 'UTC'",
  'SET LOCAL extra_float_digits = 1',
  "SET LOCAL bytea_output = 'hex'",
  "SET LOCAL lc_monetary = 'C'",
  'SET LOCAL quote_all_identifiers = off',
  'SET LOCAL standard_conforming_strings = on',
  'SET LOCAL jit = off',
  'SET LOCAL max_parallel_workers_per_gather = 0',
].join(';\n');

/** True for an object that belongs to an extension: the extension's, not the user's. */
export function notExtensionMember(catalog: string, oid: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_depend ext WHERE ext.classid = '${catalog}'::regclass AND ext.objid = ${oid} AND ext.deptype = 'e')`;
}

/**
 * Schemas Isotyp models: all but pg_catalog, pg_toast*, pg_temp* (user schemas may not start
 * with `pg_`), information_schema, schemas created by extensions, and `isotyp`, where Isotyp
 * keeps its own history (pg-history.ts) — which must never read as drift or move the digest.
 */
export function userNamespace(alias: string): string {
  return `(${alias}.nspname NOT IN ('information_schema', 'isotyp') AND ${alias}.nspname NOT LIKE 'pg\\_%' AND ${notExtensionMember('pg_namespace', `${alias}.oid`)})`;
}

/** `name`, or `schema.name` outside pg_catalog, each quoted only when needed (SQL-ready). */
export function qualifiedName(schema: string, name: string): string {
  return `CASE WHEN ${schema} = 'pg_catalog' THEN quote_ident(${name}) ELSE quote_ident(${schema}) || '.' || quote_ident(${name}) END`;
}

/** The SQL-ready name of the collation with OID `oid`, e.g. `"C"` or `public.german`. */
export function collationName(oid: string): string {
  return `(SELECT ${qualifiedName('cn.nspname', 'co.collname')} FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = ${oid})`;
}

/** A comment from pg_description for an object of `catalog` (sub-object 0 unless given). */
export function commentJoin(alias: string, catalog: string, oid: string, subId = '0'): string {
  return `LEFT JOIN pg_description ${alias} ON ${alias}.classoid = '${catalog}'::regclass AND ${alias}.objoid = ${oid} AND ${alias}.objsubid = ${subId}`;
}

/** Runs one catalogue query and returns its rows. */
export async function rows<T extends object>(ctx: CatalogContext, sql: string): Promise<T[]> {
  return (await ctx.client.query<T & pg.QueryResultRow>(sql)).rows;
}

/** Groups items by a key, keeping their order within each group. */
export function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/** Sorts by `name`, then by `also` for objects whose names repeat (overloads, triggers). */
export function byNameThen<T extends { name: string }>(items: T[], also: (item: T) => string): T[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return items.sort((a, b) => cmp(a.name, b.name) || cmp(also(a), also(b)));
}
