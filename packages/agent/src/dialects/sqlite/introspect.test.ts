import { writeFileSync } from 'node:fs';
import { schemaModelSchema, type Table } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inspectTarget } from '../../inspect.js';
import { tempChinook, tempSqlite } from '../../test-support/temp-sqlite.js';

function table(tables: Table[], name: string): Table {
  const found = tables.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no table ${name}`);
  return found;
}

describe('SQLite introspection', () => {
  it('reads Chinook into a valid model with its keys, indexes and foreign keys', async () => {
    const result = await inspectTarget(`sqlite:${tempChinook()}`);
    expect(schemaModelSchema.parse(result.model)).toEqual(result.model);
    expect(result.counts).toMatchObject({ tables: 11, foreignKeys: 11, indexes: 11 });
    const tables = result.model.namespaces[0]?.tables ?? [];
    expect(tables.map((t) => t.name)).toEqual([...tables.map((t) => t.name)].sort());
    const album = table(tables, 'Album');
    expect(album.primaryKey).toEqual({ name: 'PK_Album', columns: ['AlbumId'] });
    expect(album.foreignKeys).toEqual([
      expect.objectContaining({
        columns: ['ArtistId'],
        refTable: 'Artist',
        refColumns: ['ArtistId'],
        onDelete: 'no-action',
      }),
    ]);
    expect(album.indexes.map((i) => i.name)).toEqual(['IFK_AlbumArtistId']);
    expect(table(tables, 'PlaylistTrack').primaryKey?.columns).toEqual(['PlaylistId', 'TrackId']);
  });

  it('gives the same digest across runs and copies, and a new one after a change', async () => {
    const a = tempChinook();
    const first = await inspectTarget(`sqlite:${a}`);
    expect((await inspectTarget(`sqlite:${a}`)).digest).toBe(first.digest);
    expect((await inspectTarget(`sqlite:${tempChinook()}`)).digest).toBe(first.digest);
    const db = new Database(a);
    db.exec('ALTER TABLE "Album" ADD COLUMN "Year" INTEGER');
    db.close();
    expect((await inspectTarget(`sqlite:${a}`)).digest).not.toBe(first.digest);
  });

  it('keeps what only the CREATE text says: checks, generated columns, partial and expression indexes', async () => {
    const path = tempSqlite(`
      CREATE TABLE "odd ""name"" table" (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL COLLATE NOCASE CHECK (length(email) > 3), -- a comment, with (parens
        price NUMERIC DEFAULT 0 CONSTRAINT price_positive CHECK (price >= 0),
        total NUMERIC GENERATED ALWAYS AS (price * 2) STORED,
        parent INTEGER REFERENCES "odd ""name"" table" (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        UNIQUE (email, price),
        CHECK (price < 1000000)
      );
      CREATE INDEX idx_lower ON "odd ""name"" table" (lower(email) DESC, price) WHERE price > 10;
      CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID, STRICT;
      CREATE VIEW cheap AS SELECT id, price FROM "odd ""name"" table" WHERE price < 5;
      CREATE TRIGGER kv_touch AFTER INSERT ON kv BEGIN SELECT 1; END;
    `);
    const { model } = await inspectTarget(`sqlite:${path}`);
    const ns = model.namespaces[0];
    const odd = table(ns?.tables ?? [], 'odd "name" table');
    expect(odd.options).toEqual({ autoincrement: true });
    expect(odd.columns.find((c) => c.name === 'email')).toMatchObject({ nullable: false, collation: 'NOCASE' });
    expect(odd.columns.find((c) => c.name === 'total')?.generated).toEqual({ expression: 'price * 2', stored: true });
    expect(odd.checks.map((c) => c.expression)).toEqual(['price < 1000000', 'length(email) > 3', 'price >= 0']);
    expect(odd.checks.map((c) => c.name)).toEqual([
      expect.stringMatching(/^odd "name" table_check_[0-9a-f]{8}$/),
      expect.stringMatching(/^odd "name" table_email_[0-9a-f]{8}$/),
      'price_positive',
    ]);
    expect(odd.uniques).toEqual([
      { name: 'odd "name" table_email_price_key', columns: ['email', 'price'], nullsNotDistinct: false },
    ]);
    expect(odd.foreignKeys[0]).toMatchObject({ onDelete: 'cascade', deferrable: true, initiallyDeferred: true });
    expect(odd.indexes[0]).toMatchObject({
      name: 'idx_lower',
      where: 'price > 10',
      keys: [
        { column: null, expression: 'lower(email)', order: 'desc' },
        { column: 'price', expression: null, order: 'asc' },
      ],
    });
    expect(table(ns?.tables ?? [], 'kv').options).toEqual({ withoutRowid: true, strict: true });
    expect(ns?.views.map((v) => [v.name, v.columns])).toEqual([['cheap', ['id', 'price']]]);
    expect(ns?.triggers.map((t) => [t.name, t.table])).toEqual([['kv_touch', 'kv']]);
  });

  it('explains a missing file, a non-database file and a bad URL with stable codes', async () => {
    await expect(inspectTarget('sqlite:/nonexistent/isotyp.db')).rejects.toMatchObject({
      code: 'ISOTYP_TARGET_UNREACHABLE',
    });
    const notDb = tempSqlite('');
    writeFileSync(notDb, 'this is not a database, just text '.repeat(200));
    await expect(inspectTarget(`sqlite:${notDb}`)).rejects.toMatchObject({
      code: 'ISOTYP_TARGET_UNREACHABLE',
      message: expect.stringContaining('is not a SQLite database'),
    });
    await expect(inspectTarget('mysql://root@localhost/db')).rejects.toMatchObject({ code: 'ISOTYP_TARGET_INVALID' });
  });
});
