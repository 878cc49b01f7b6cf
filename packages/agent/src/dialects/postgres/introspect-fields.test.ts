import { type Namespace, type SchemaModel, schemaModelSchema, type Table } from '@isotyp/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSql, type TempDatabase, tempDatabase } from '../../test-support/postgres.js';
import { CRAFTED_POSTGRES_SQL } from '../../test-support/postgres-fixtures.js';
import { postgresDialect } from './index.js';

let db: TempDatabase;
let model: SchemaModel;
let app: Namespace;

function table(name: string): Table {
  const found = app.tables.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

beforeAll(async () => {
  db = await tempDatabase(CRAFTED_POSTGRES_SQL);
  const connection = await postgresDialect.connect({ url: db.url });
  model = await connection.introspect();
  await connection.close();
  app = model.namespaces.find((n) => n.name === 'app') as Namespace;
});

describe('PostgreSQL introspection fills every field of the model', () => {
  it('parses, lists schemas and extensions, and leaves extension objects out', () => {
    expect(schemaModelSchema.parse(model)).toEqual(model);
    expect(model.namespaces.map((n) => [n.name, n.comment])).toEqual([
      ['app', 'the app'],
      ['public', 'standard public schema'],
    ]);
    expect(model.extensions).toEqual([
      { name: 'citext', schema: 'public' },
      { name: 'plpgsql', schema: 'pg_catalog' },
    ]);
    const pub = model.namespaces.find((n) => n.name === 'public');
    expect(pub?.routines).toEqual([]);
  });

  it('reads columns: identity, generated, collation, defaults, comments', () => {
    const columns = table('account').columns;
    // Sorted by name: PostgreSQL appends columns, so their order is not part of the schema.
    expect(columns.map((c) => c.name)).toEqual(['email', 'id', 'login', 'mood', 'name', 'price', 'tags', 'total']);
    const column = (name: string) => columns.find((c) => c.name === name);
    expect(column('id')).toMatchObject({
      type: 'bigint',
      nullable: false,
      default: null,
      identity: { generation: 'always', start: '100', increment: '10' },
    });
    expect(column('email')).toMatchObject({ collation: '"C"', comment: 'login address', nullable: false });
    expect(column('login')?.type).toBe('public.citext');
    expect(column('mood')).toMatchObject({ type: 'app.mood', default: "'ok'::app.mood" });
    expect(column('total')).toMatchObject({
      default: null,
      generated: { expression: 'price * 2::numeric', stored: true },
    });
    expect(table('account').comment).toBe('accounts');
  });

  it('reads keys, uniques, checks, exclusions and foreign keys', () => {
    const account = table('account');
    expect(account.primaryKey).toEqual({ name: 'account_pkey', columns: ['id'], comment: null });
    expect(account.uniques).toEqual([
      { name: 'account_email_name_key', columns: ['email', 'name'], nullsNotDistinct: true, comment: 'one per person' },
    ]);
    expect(account.checks).toEqual([{ name: 'price_positive', expression: 'price >= 0::numeric', comment: null }]);
    const orders = table('orders');
    expect(orders.exclusions).toEqual([
      { name: 'no_overlap', definition: 'EXCLUDE USING gist (during WITH &&)', comment: null },
    ]);
    expect(orders.foreignKeys).toEqual([
      expect.objectContaining({
        name: 'orders_account_id_fkey',
        refSchema: 'app',
        refTable: 'account',
        onDelete: 'cascade',
        onUpdate: 'set-null',
        match: 'simple',
        deferrable: true,
        initiallyDeferred: true,
      }),
      expect.objectContaining({ name: 'orders_parent_fk', refTable: 'orders', match: 'full', deferrable: false }),
    ]);
  });

  it('reads indexes: expression, sort order, nulls, INCLUDE, opclass, collation, method, partial', () => {
    const byName = Object.fromEntries(table('account').indexes.map((i) => [i.name, i]));
    expect(Object.keys(byName)).toEqual([
      'account_lower_email',
      'account_name_c',
      'account_name_pattern',
      'account_name_unique',
      'account_tags',
    ]);
    expect(byName.account_lower_email).toEqual({
      name: 'account_lower_email',
      unique: false,
      keys: [
        // email is COLLATE "C", so lower(email) is too: the collation the index really uses.
        { column: null, expression: 'lower(email)', order: 'desc', nulls: 'last', collation: '"C"', opclass: null },
        { column: 'name', expression: null, order: 'desc', nulls: 'first', collation: null, opclass: null },
      ],
      include: ['price'],
      where: null,
      method: 'btree',
      comment: null,
      nullsNotDistinct: false,
    });
    expect(byName.account_name_c?.keys[0]).toMatchObject({ collation: '"C"', order: 'asc', nulls: 'first' });
    expect(byName.account_name_pattern?.keys[0]?.opclass).toBe('text_pattern_ops');
    expect(byName.account_name_unique).toMatchObject({ unique: true, nullsNotDistinct: true });
    expect(byName.account_tags).toMatchObject({ method: 'gin', comment: 'tag search' });
    expect(byName.account_tags?.keys[0]).toMatchObject({ order: 'asc', nulls: null });
    expect(table('orders').indexes).toEqual([
      expect.objectContaining({ name: 'orders_open', where: 'parent_id IS NULL' }),
    ]);
  });

  it('reads partitioning, storage options and row security; partitions do not repeat the parent index', () => {
    expect(table('events')).toMatchObject({ options: { partitionBy: 'RANGE (at)' } });
    expect(table('events').indexes.map((i) => i.name)).toEqual(['events_at']);
    expect(table('events_2024')).toMatchObject({
      options: { partitionOf: 'app.events', partitionBound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" },
      indexes: [],
    });
    expect(table('cache').options).toEqual({ with: 'fillfactor=70', unlogged: true, rowSecurity: true });
  });

  it('counts the rows of a partitioned table over its partitions', async () => {
    await runSql(db.url, "INSERT INTO app.events VALUES (1, '2024-02-01'), (2, '2024-03-01'); ANALYZE app.events");
    const connection = await postgresDialect.connect({ url: db.url });
    const counts = await connection.rowCounts();
    await connection.close();
    expect(counts.get('app.events')).toBe(2);
    expect(counts.has('app.events_2024')).toBe(false);
  });

  it('reads enums, domains and sequences (identity sequences belong to their column)', () => {
    expect(app.enums).toEqual([{ name: 'mood', values: ['sad', 'meh', 'ok', 'happy'], comment: 'feelings' }]);
    expect(app.domains).toEqual([
      {
        name: 'code',
        type: 'text',
        nullable: true,
        default: null,
        checks: [{ name: 'code_len', expression: 'length(VALUE) = 3', comment: null }],
        collation: '"C"',
        comment: null,
      },
      {
        name: 'posint',
        type: 'integer',
        nullable: false,
        default: '1',
        checks: [{ name: 'posint_check', expression: 'VALUE > 0', comment: null }],
        collation: null,
        comment: 'positive',
      },
    ]);
    expect(app.sequences).toEqual([
      {
        name: 'counter',
        type: 'integer',
        start: '10',
        increment: '5',
        min: '10',
        max: '1000',
        cache: '2',
        cycle: true,
        ownedBy: null,
        comment: 'counts',
      },
      expect.objectContaining({ name: 'orders_id_seq', type: 'integer', ownedBy: 'orders.id' }),
    ]);
  });

  it('reads views, materialized views, routines and triggers with definitions and comments', () => {
    expect(app.views.map((v) => [v.name, v.materialized, v.columns, v.options, v.comment])).toEqual([
      ['mood_counts', true, ['mood', 'n'], {}, null],
      ['rich', false, ['id', 'email'], { with: 'check_option=cascaded' }, 'big spenders'],
    ]);
    expect(app.views[0]?.indexes?.map((i) => i.name)).toEqual(['mood_counts_mood']);
    expect(app.routines.map((r) => [r.name, r.kind, r.arguments, r.language, r.comment])).toEqual([
      ['add', 'function', 'a integer, b integer', 'sql', null],
      ['add', 'function', 'a numeric, b numeric', 'sql', null],
      ['noop', 'procedure', '', 'sql', null],
      ['touch', 'function', '', 'plpgsql', 'fills name'],
    ]);
    expect(app.routines[1]?.definition).toContain('BEGIN ATOMIC');
    expect(app.triggers).toEqual([
      expect.objectContaining({ name: 'account_touch', table: 'account', comment: 'fill the name' }),
    ]);
    expect(app.triggers[0]?.definition).toBe(
      'CREATE TRIGGER account_touch BEFORE INSERT ON app.account FOR EACH ROW EXECUTE FUNCTION app.touch()',
    );
  });
});
