import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { schemaDigest } from '../../schema/schema-digest.js';
import { actions, applyPlan, desiredModel, rollBack } from '../../test-support/sqlite-round-trip.js';
import { tempSqlite } from '../../test-support/temp-sqlite.js';

/*
 * Details of PRIMARY KEY, UNIQUE and NOT NULL that only the CREATE TABLE text carries. Each test
 * forces a rebuild with an unrelated column type change, checks the rebuilt table introspects
 * to the desired model (applyPlan), and then that the table still behaves the same way.
 */

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(sql: string): Database.Database {
  const db = new Database(tempSqlite(sql));
  open.push(db);
  return db;
}

/** Applies `desired` to `db`, expecting one rebuild of `table`. */
function rebuild(db: Database.Database, desired: string, table: string) {
  const trip = applyPlan(db, desiredModel(desired));
  expect(actions(trip.plan.ops)).toEqual([`rebuild-table ${table}`]);
  return trip;
}

const insert = (db: Database.Database, sql: string) => () => db.exec(sql);

describe('SQLite rebuild keeps constraint details', () => {
  it('keeps the collation and order of UNIQUE and PRIMARY KEY columns', () => {
    const table = (noteType: string) => `CREATE TABLE account (
      code TEXT, email TEXT, name TEXT COLLATE NOCASE, note ${noteType},
      PRIMARY KEY (code COLLATE NOCASE),
      UNIQUE (email COLLATE NOCASE),
      UNIQUE (name COLLATE BINARY DESC))`;
    const db = database(`${table('TEXT')}; INSERT INTO account VALUES ('K', 'A@x', 'Ann', '1');`);
    const trip = rebuild(db, table('INTEGER'), 'account');
    expect(trip.plan.ops[0]?.up[0]).toContain('UNIQUE ("email" COLLATE NOCASE)');
    expect(db.prepare('SELECT * FROM account').all()).toEqual([{ code: 'K', email: 'A@x', name: 'Ann', note: 1 }]);
    // The unique email still ignores case, the primary key too; the name key compares as BINARY.
    expect(insert(db, "INSERT INTO account VALUES ('L', 'a@x', 'x', 2)")).toThrow(/UNIQUE constraint failed/);
    expect(insert(db, "INSERT INTO account VALUES ('k', 'b@x', 'y', 3)")).toThrow(/UNIQUE constraint failed/);
    db.exec("INSERT INTO account VALUES ('M', 'c@x', 'ANN', 4)");
    rollBack(db, trip);
    expect(insert(db, "INSERT INTO account VALUES ('N', 'C@X', 'z', '5')")).toThrow(/UNIQUE constraint failed/);
  });

  it('keeps INTEGER PRIMARY KEY DESC apart from the rowid, and turns one into the other', () => {
    const db = database(`
      CREATE TABLE item (id INTEGER PRIMARY KEY DESC, note TEXT);
      INSERT INTO item VALUES (50, 'a'), (70, 'b');`);
    const isAlias = () => desiredModel('CREATE TABLE item (id INTEGER PRIMARY KEY, note TEXT)');
    // Not a rowid alias: a different table, so a different digest.
    expect(schemaDigest(desiredModel('CREATE TABLE item (id INTEGER PRIMARY KEY DESC, note TEXT)'))).not.toBe(
      schemaDigest(isAlias()),
    );
    const trip = rebuild(db, 'CREATE TABLE item (id INTEGER PRIMARY KEY DESC, note INTEGER)', 'item');
    expect(trip.plan.ops[0]?.up[0]).toContain('"id" INTEGER PRIMARY KEY DESC');
    // The rowids were kept and still differ from the ids.
    expect(db.prepare('SELECT rowid, id, note FROM item ORDER BY rowid').all()).toEqual([
      { rowid: 1, id: 50, note: 'a' },
      { rowid: 2, id: 70, note: 'b' },
    ]);
    rollBack(db, trip);
    const toAlias = applyPlan(db, isAlias());
    expect(actions(toAlias.plan.ops)).toEqual(['rebuild-table item']);
    expect(db.prepare('SELECT rowid AS r, id FROM item ORDER BY id').all()).toEqual([
      { r: 50, id: 50 },
      { r: 70, id: 70 },
    ]);
    rollBack(db, toAlias);
  });

  it('keeps ON CONFLICT on the primary key, NOT NULL and UNIQUE constraints', () => {
    const table = (noteType: string) => `CREATE TABLE tag (
      id INTEGER PRIMARY KEY ON CONFLICT REPLACE,
      name TEXT NOT NULL ON CONFLICT IGNORE,
      slug TEXT UNIQUE ON CONFLICT REPLACE,
      a INT, b INT, note ${noteType},
      UNIQUE (a, b) ON CONFLICT IGNORE)`;
    const db = database(`${table('TEXT')}; INSERT INTO tag VALUES (1, 'one', 's1', 1, 1, '1');`);
    const trip = rebuild(db, table('INTEGER'), 'tag');
    const tag = trip.after.namespaces[0]?.tables[0];
    expect(tag?.primaryKey?.onConflict).toBe('replace');
    expect(tag?.columns.find((c) => c.name === 'name')?.notNullOnConflict).toBe('ignore');
    expect(tag?.uniques.map((u) => u.onConflict)).toEqual(['ignore', 'replace']);

    db.exec("INSERT INTO tag VALUES (1, 'uno', 's2', 2, 2, 2)"); // replaces row 1
    db.exec("INSERT INTO tag VALUES (2, NULL, 's3', 3, 3, 3)"); // ignored: NULL name
    db.exec("INSERT INTO tag VALUES (3, 'tre', 's4', 2, 2, 4)"); // ignored: (a, b) taken
    db.exec("INSERT INTO tag VALUES (4, 'four', 's2', 5, 5, 5)"); // replaces the row with slug s2
    expect(db.prepare('SELECT id, name, slug FROM tag ORDER BY id').all()).toEqual([
      { id: 4, name: 'four', slug: 's2' },
    ]);
    rollBack(db, trip);
  });

  it('plans a change of ON CONFLICT alone as a rebuild', () => {
    const db = database('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const trip = rebuild(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL ON CONFLICT IGNORE)', 't');
    db.exec('INSERT INTO t (v) VALUES (NULL)');
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    rollBack(db, trip);
    expect(insert(db, 'INSERT INTO t (v) VALUES (NULL)')).toThrow(/NOT NULL constraint failed/);
  });
});
