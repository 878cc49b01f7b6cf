import type { SchemaModel, Table } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { schemaDigest } from '../../schema/schema-digest.js';
import { CHINOOK_DDL, desiredModel } from '../../test-support/sqlite-round-trip.js';
import { introspectSqlite } from './introspect.js';
import { renderCreateIndex, renderCreateTable } from './render.js';
import { defaultValueExpression, quoteIdent, renderDefault } from './sql.js';

/** Renders every object of `model` into a fresh database and introspects that. */
function reRendered(model: SchemaModel): SchemaModel {
  const db = new Database(':memory:');
  try {
    const ns = model.namespaces[0];
    for (const table of ns?.tables ?? []) {
      db.exec(renderCreateTable(table));
      for (const index of table.indexes) db.exec(renderCreateIndex(table, index));
    }
    for (const view of ns?.views ?? []) db.exec(view.definition);
    for (const trigger of ns?.triggers ?? []) db.exec(trigger.definition);
    return introspectSqlite(db);
  } finally {
    db.close();
  }
}

const TRICKY = `
  CREATE TABLE "odd ""name"" table" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE CHECK (length(email) > 3),
    price NUMERIC DEFAULT 0 CONSTRAINT price_positive CHECK (price >= 0),
    total NUMERIC GENERATED ALWAYS AS (price * 2) STORED,
    half REAL AS (price / 2),
    parent INTEGER REFERENCES "odd ""name"" table" (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    made TEXT DEFAULT CURRENT_TIMESTAMP,
    sum INTEGER DEFAULT (1 + 2),
    nested TEXT DEFAULT (('x')),
    neg REAL DEFAULT -1.5e3,
    word TEXT DEFAULT abc,
    blob BLOB DEFAULT X'00ff',
    UNIQUE (email, price),
    CHECK (price < 1000000)
  );
  CREATE INDEX idx_lower ON "odd ""name"" table" (lower(email) DESC, price) WHERE price > 10;
  CREATE INDEX idx_binary ON "odd ""name"" table" (email COLLATE BINARY, price COLLATE NOCASE);
  CREATE UNIQUE INDEX idx_email ON "odd ""name"" table" (email);
  CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID, STRICT;
  CREATE TABLE pair (a INT, b TEXT, CONSTRAINT pair_pk PRIMARY KEY (a, b), CONSTRAINT fk_kv FOREIGN KEY (b) REFERENCES kv (k) DEFERRABLE);
  CREATE TABLE "select" ("from" TEXT, "where" INTEGER UNIQUE);
  CREATE VIEW cheap AS SELECT id, price FROM "odd ""name"" table" WHERE price < 5;
  CREATE TRIGGER kv_touch AFTER INSERT ON kv BEGIN SELECT 1; END;
`;

describe('SQLite DDL rendering', () => {
  it('renders Chinook so that it introspects to the same model', () => {
    const model = desiredModel(CHINOOK_DDL);
    expect(reRendered(model)).toEqual(model);
  });

  it('round-trips quoting, defaults, collations, generated columns, checks, keys and options', () => {
    const model = desiredModel(TRICKY);
    expect(reRendered(model)).toEqual(model);
  });

  it('round-trips key collations and order, INTEGER PRIMARY KEY DESC and ON CONFLICT clauses', () => {
    const model = desiredModel(`
      CREATE TABLE account (
        id INTEGER CONSTRAINT account_pk PRIMARY KEY DESC ON CONFLICT FAIL,
        email TEXT NOT NULL ON CONFLICT ROLLBACK,
        name TEXT COLLATE NOCASE,
        UNIQUE (email COLLATE NOCASE) ON CONFLICT IGNORE,
        UNIQUE (name COLLATE BINARY DESC, email)
      );
      CREATE TABLE code (k TEXT, v INT UNIQUE ON CONFLICT REPLACE, PRIMARY KEY (k COLLATE RTRIM, v DESC)) WITHOUT ROWID;
      CREATE TABLE counter (id INTEGER PRIMARY KEY ON CONFLICT REPLACE AUTOINCREMENT);
    `);
    expect(reRendered(model)).toEqual(model);
    const [account, code, counter] = model.namespaces[0]?.tables ?? [];
    expect(account?.primaryKey).toEqual({
      name: 'account_pk',
      columns: ['id'],
      keys: [{ collation: null, order: 'desc' }],
      onConflict: 'fail',
    });
    expect(account?.columns.map((c) => c.notNullOnConflict)).toEqual([undefined, 'rollback', undefined]);
    expect(account?.uniques).toEqual([
      {
        name: 'account_email_key',
        columns: ['email'],
        nullsNotDistinct: false,
        keys: [{ collation: 'NOCASE', order: 'asc' }],
        onConflict: 'ignore',
      },
      {
        name: 'account_name_email_key',
        columns: ['name', 'email'],
        nullsNotDistinct: false,
        keys: [
          { collation: null, order: 'desc' },
          { collation: null, order: 'asc' },
        ],
      },
    ]);
    expect(code?.primaryKey?.keys).toEqual([
      { collation: 'RTRIM', order: 'asc' },
      { collation: null, order: 'desc' },
    ]);
    expect(code?.uniques[0]).toMatchObject({ columns: ['v'], onConflict: 'replace' });
    expect(code?.uniques[0]).not.toHaveProperty('keys');
    expect(counter?.primaryKey).toEqual({ name: null, columns: ['id'], onConflict: 'replace' });
    expect(renderCreateTable(account as Table)).toContain(
      '"id" INTEGER CONSTRAINT "account_pk" PRIMARY KEY DESC ON CONFLICT FAIL',
    );
  });

  it('records nothing for defaults, so digests of schemas without these clauses stay as they were', () => {
    const plain = desiredModel(
      'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL COLLATE NOCASE UNIQUE, b TEXT, UNIQUE (b ASC))',
    );
    const spelled = desiredModel(`CREATE TABLE t (
      id INTEGER PRIMARY KEY ASC ON CONFLICT ABORT,
      a TEXT NOT NULL ON CONFLICT ABORT COLLATE NOCASE UNIQUE ON CONFLICT ABORT,
      b TEXT, UNIQUE (b COLLATE BINARY ASC))`);
    expect(spelled).toEqual(plain);
    expect(schemaDigest(spelled)).toBe(schemaDigest(plain));
    expect(plain.namespaces[0]?.tables[0]?.primaryKey).toEqual({ name: null, columns: ['id'] });
    // SQLite parses ON CONFLICT after a table CHECK and discards it: nothing to keep.
    expect(desiredModel('CREATE TABLE c (x INT, CHECK (x > 0) ON CONFLICT IGNORE)')).toEqual(
      desiredModel('CREATE TABLE c (x INT, CHECK (x > 0))'),
    );
  });

  it('leaves derived names unnamed so they follow the table, and keeps given ones', () => {
    const model = desiredModel(TRICKY);
    const odd = model.namespaces[0]?.tables.find((t) => t.name === 'odd "name" table');
    const sql = odd === undefined ? '' : renderCreateTable(odd);
    expect(sql).toContain('"email" TEXT NOT NULL COLLATE NOCASE CHECK (length(email) > 3)');
    expect(sql).toContain('CONSTRAINT "price_positive" CHECK (price >= 0)');
    expect(sql).toContain('  CHECK (price < 1000000)');
    expect(sql).toContain('"id" INTEGER PRIMARY KEY AUTOINCREMENT');
    expect(sql).not.toContain('_fkey');
  });

  it('quotes identifiers and parenthesises defaults that are not single terms', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(renderDefault("'it''s'")).toBe("'it''s'");
    expect(renderDefault('-1.5e3')).toBe('-1.5e3');
    expect(renderDefault('CURRENT_TIMESTAMP')).toBe('CURRENT_TIMESTAMP');
    expect(renderDefault('1 + 2')).toBe('(1 + 2)');
    expect(defaultValueExpression('abc')).toBe("'abc'");
    expect(defaultValueExpression('CURRENT_DATE')).toBe('CURRENT_DATE');
  });
});
