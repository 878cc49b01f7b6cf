import { canonicalize, type Namespace, type SchemaModel, schemaModelSchema, type Table } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { schemaDigest } from '../../schema/schema-digest.js';
import { runSql, tempDatabase } from '../../test-support/postgres.js';
import { chinookPostgresSql, pagilaSql } from '../../test-support/postgres-fixtures.js';
import { postgresDialect } from './index.js';

async function introspect(url: string): Promise<SchemaModel> {
  const connection = await postgresDialect.connect({ url });
  try {
    return await connection.introspect();
  } finally {
    await connection.close();
  }
}

function ns(model: SchemaModel, name = 'public'): Namespace {
  const found = model.namespaces.find((n) => n.name === name);
  if (found === undefined) throw new Error(`no schema ${name}`);
  return found;
}

function table(namespace: Namespace, name: string): Table {
  const found = namespace.tables.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

function sortedByName(items: { name: string }[]): boolean {
  return items.every((item, i) => i === 0 || (items[i - 1] as { name: string }).name <= item.name);
}

describe('PostgreSQL introspection of public sample schemas', () => {
  it('reads Pagila into a valid model, identical from two databases and across runs', async () => {
    const sql = pagilaSql();
    const [a, b] = await Promise.all([tempDatabase(sql), tempDatabase(sql)]);
    const first = await introspect(a.url);
    expect(schemaModelSchema.parse(first)).toEqual(first);
    const again = await introspect(a.url);
    const copy = await introspect(b.url);
    expect(canonicalize(again)).toBe(canonicalize(first));
    expect(canonicalize(copy)).toBe(canonicalize(first));
    expect(schemaDigest(copy)).toBe(schemaDigest(first));

    const pub = ns(first);
    expect(first.namespaces.map((n) => n.name)).toEqual(['public']);
    expect(first.extensions).toEqual([{ name: 'plpgsql', schema: 'pg_catalog' }]);
    for (const list of [pub.tables, pub.views, pub.enums, pub.domains, pub.sequences, pub.routines, pub.triggers]) {
      expect(sortedByName(list)).toBe(true);
    }
    expect(pub.tables).toHaveLength(70);
    expect(pub.views.map((v) => v.name)).toContain('rental_by_category');
  });

  it('keeps what Pagila declares: enum, domain, partitioning, views, routines, triggers, keys', async () => {
    const db = await tempDatabase(pagilaSql());
    const pub = ns(await introspect(db.url));

    expect(pub.enums).toEqual([{ name: 'mpaa_rating', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'], comment: null }]);
    expect(pub.domains.find((d) => d.name === 'year')).toEqual({
      name: 'year',
      type: 'integer',
      nullable: true,
      default: null,
      checks: [{ name: 'year_check', expression: 'VALUE >= 1901 AND VALUE <= 2155', comment: null }],
      collation: null,
      comment: null,
    });
    // The non-ASCII domain name survives as the database spells it.
    expect(pub.domains.map((d) => d.name)).toContain('bıgınt');

    const payment = table(pub, 'payment');
    expect(payment.options).toEqual({ partitionBy: 'RANGE (payment_date)' });
    expect(payment.primaryKey).toEqual({
      name: 'payment_pkey',
      columns: ['payment_date', 'payment_id'],
      comment: null,
    });
    // Bounds written with +01 offsets print in UTC, whatever the session's time zone.
    expect(table(pub, 'payment_p2022_04').options).toEqual({
      partitionOf: 'public.payment',
      partitionBound: "FOR VALUES FROM ('2022-04-01 00:00:00+00') TO ('2022-05-01 00:00:00+00')",
    });

    const film = table(pub, 'film');
    expect(film.columns.find((c) => c.name === 'rating')).toMatchObject({
      type: 'public.mpaa_rating',
      default: "'G'::public.mpaa_rating",
    });
    expect(film.columns.find((c) => c.name === 'release_year')?.type).toBe('public.year');
    expect(film.foreignKeys.find((f) => f.name === 'film_language_id_fkey')).toEqual({
      name: 'film_language_id_fkey',
      columns: ['language_id'],
      refSchema: 'public',
      refTable: 'language',
      refColumns: ['language_id'],
      onDelete: 'restrict',
      onUpdate: 'cascade',
      match: 'simple',
      deferrable: false,
      initiallyDeferred: false,
      comment: null,
    });
    expect(film.indexes.find((i) => i.name === 'film_fulltext_idx')).toMatchObject({ method: 'gist', unique: false });

    const matview = pub.views.find((v) => v.name === 'rental_by_category');
    expect(matview).toMatchObject({ materialized: true, columns: ['category', 'total_sales'] });
    expect(matview?.definition).toContain('sum(p.amount) AS total_sales');
    expect(matview?.indexes?.map((i) => [i.name, i.unique])).toEqual([['rental_category', true]]);

    const lastUpdated = pub.triggers.filter((t) => t.name === 'last_updated');
    expect(lastUpdated.length).toBeGreaterThan(5);
    expect(lastUpdated.map((t) => t.table)).toEqual([...lastUpdated.map((t) => t.table)].sort());
    expect(lastUpdated.find((t) => t.table === 'actor')?.definition).toBe(
      'CREATE TRIGGER last_updated BEFORE UPDATE ON public.actor FOR EACH ROW EXECUTE FUNCTION public.last_updated()',
    );
    const fn = pub.routines.find((r) => r.name === 'last_updated');
    expect(fn).toMatchObject({ kind: 'function', language: 'plpgsql', arguments: '' });
    expect(fn?.definition).toMatch(/^CREATE OR REPLACE FUNCTION public\.last_updated\(\)\n RETURNS trigger/);
    expect(pub.routines.find((r) => r.name === 'group_concat')).toMatchObject({
      kind: 'aggregate',
      arguments: 'text',
      definition:
        'CREATE AGGREGATE public.group_concat(text) (\n    SFUNC = public._group_concat,\n    STYPE = text\n);\n',
    });
    expect(pub.sequences.find((s) => s.name === 'actor_actor_id_seq')).toMatchObject({ type: 'bigint', start: '1' });
  });

  it('reads Chinook with its keys and indexes, the same from two databases, whatever the rows', async () => {
    const sql = chinookPostgresSql();
    const [a, b] = await Promise.all([tempDatabase(sql), tempDatabase(sql)]);
    const model = await introspect(a.url);
    expect(schemaModelSchema.parse(model)).toEqual(model);
    expect(schemaDigest(await introspect(b.url))).toBe(schemaDigest(model));
    const pub = ns(model);
    expect(pub.tables.map((t) => t.name)).toEqual([
      'album',
      'artist',
      'customer',
      'employee',
      'genre',
      'invoice',
      'invoice_line',
      'media_type',
      'playlist',
      'playlist_track',
      'track',
    ]);
    expect(table(pub, 'playlist_track').primaryKey?.columns).toEqual(['playlist_id', 'track_id']);
    expect(table(pub, 'album').foreignKeys.map((f) => [f.columns, f.refTable])).toEqual([[['artist_id'], 'artist']]);

    // Rows are data, not schema.
    await runSql(b.url, 'DELETE FROM playlist_track; ANALYZE');
    expect(schemaDigest(await introspect(b.url))).toBe(schemaDigest(model));
  });

  it('estimates rows per table from the statistics, locally, without scanning', async () => {
    const db = await tempDatabase(`${chinookPostgresSql()};\nANALYZE;`);
    const connection = await postgresDialect.connect({ url: db.url });
    try {
      const counts = await connection.rowCounts();
      expect(counts.get('public.track')).toBe(3503);
      expect(counts.get('public.playlist_track')).toBe(8715);
      expect([...counts.keys()]).toHaveLength(11);
    } finally {
      await connection.close();
    }
  });

  it('gives a new digest when a column is added, and the old one back when it is dropped', async () => {
    const db = await tempDatabase(pagilaSql());
    const before = schemaDigest(await introspect(db.url));
    await runSql(db.url, 'ALTER TABLE public.actor ADD COLUMN nickname text');
    const after = schemaDigest(await introspect(db.url));
    expect(after).not.toBe(before);
    await runSql(db.url, 'ALTER TABLE public.actor DROP COLUMN nickname');
    expect(schemaDigest(await introspect(db.url))).toBe(before);
  });

  it('prints the same model whatever the role’s search_path, time zone and date style', async () => {
    const db = await tempDatabase(pagilaSql());
    const plain = canonicalize(await introspect(db.url));
    await runSql(
      db.url,
      `ALTER DATABASE ${db.name} SET search_path = public, pg_catalog;
       ALTER DATABASE ${db.name} SET TimeZone = 'Pacific/Auckland';
       ALTER DATABASE ${db.name} SET DateStyle = 'SQL, DMY'`,
    );
    expect(canonicalize(await introspect(db.url))).toBe(plain);
  });
});
