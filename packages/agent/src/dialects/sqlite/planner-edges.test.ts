import type { SchemaModel } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RenameHint } from '../../diff/changes.js';
import { diffSchemas } from '../../diff/diff.js';
import { actions, applyPlan, CHINOOK_DDL, desiredModel, edit, rollBack } from '../../test-support/sqlite-round-trip.js';
import { tempSqlite } from '../../test-support/temp-sqlite.js';
import { sqlitePlanner } from './planner.js';

/* Corners of the SQLite planner: what a rebuild must carry over beyond the rows themselves. */

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(sql: string): Database.Database {
  const db = new Database(tempSqlite(sql));
  open.push(db);
  return db;
}

function plan(db: Database.Database, desired: string, renames: RenameHint[] = []) {
  return applyPlan(db, desiredModel(desired), { renames });
}

describe('SQLite planner corners', () => {
  it('keeps the AUTOINCREMENT counter of a rebuilt table', () => {
    const db = database(`
      CREATE TABLE job (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
      INSERT INTO job (name) VALUES ('a'), ('b'), ('c');
      DELETE FROM job WHERE id = 3;`);
    const trip = plan(
      db,
      "CREATE TABLE job (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL DEFAULT (upper('x')))",
    );
    expect(actions(trip.plan.ops)).toEqual(['rebuild-table job']);
    db.exec("INSERT INTO job (name) VALUES ('d')");
    // A fresh counter would reuse 3, the id of a deleted row.
    expect(db.prepare("SELECT id FROM job WHERE name = 'd'").get()).toEqual({ id: 4 });
  });

  it('keeps rowids of tables without an INTEGER PRIMARY KEY', () => {
    const db = database(`
      CREATE TABLE note (body TEXT);
      INSERT INTO note (rowid, body) VALUES (10, 'x'), (20, 'y');`);
    const trip = plan(db, "CREATE TABLE note (body TEXT NOT NULL DEFAULT '', CHECK (length(body) < 100))");
    expect(db.prepare('SELECT rowid, body FROM note ORDER BY rowid').all()).toEqual([
      { rowid: 10, body: 'x' },
      { rowid: 20, body: 'y' },
    ]);
    rollBack(db, trip);
    expect(db.prepare('SELECT rowid FROM note ORDER BY rowid').all()).toEqual([{ rowid: 10 }, { rowid: 20 }]);
  });

  it('fills NULLs with the default when a column becomes NOT NULL', () => {
    const db = database(`
      CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER);
      INSERT INTO item VALUES (1, 5), (2, NULL);`);
    const trip = plan(db, 'CREATE TABLE item (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL DEFAULT 0)');
    expect(trip.plan.ops[0]?.up).toContain(
      'INSERT INTO "_isotyp_new_item" ("id", "qty")\n  SELECT "id", COALESCE("qty", 0) FROM "item"',
    );
    expect(db.prepare('SELECT qty FROM item ORDER BY id').all()).toEqual([{ qty: 5 }, { qty: 0 }]);
  });

  it('renames a self-referencing table and rebuilds it so the reference follows', () => {
    const db = database(`
      CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES emp (id), CHECK (id > 0));
      INSERT INTO emp VALUES (1, NULL), (2, 1);`);
    const trip = plan(
      db,
      'CREATE TABLE staff (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES staff (id), CHECK (id > 0))',
      [{ kind: 'table', from: 'emp', to: 'staff' }],
    );
    expect(actions(trip.plan.ops)).toEqual(['rename-table staff', 'rebuild-table staff']);
    expect(db.prepare('SELECT * FROM staff ORDER BY id').all()).toEqual([
      { id: 1, boss: null },
      { id: 2, boss: 1 },
    ]);
    rollBack(db, trip);
  });

  it('renames a parent column by rebuilding, since SQLite would rewrite child references', () => {
    const db = database(`
      CREATE TABLE p (code TEXT PRIMARY KEY, label TEXT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p TEXT REFERENCES p (code));
      INSERT INTO p VALUES ('a', 'A'); INSERT INTO c VALUES (1, 'a');`);
    const trip = plan(
      db,
      `CREATE TABLE p (key TEXT PRIMARY KEY, label TEXT);
       CREATE TABLE c (id INTEGER PRIMARY KEY, p TEXT REFERENCES p (key));`,
      [{ kind: 'column', table: 'p', from: 'code', to: 'key' }],
    );
    expect(actions(trip.plan.ops)).toEqual(['rebuild-table p', 'rebuild-table c']);
    expect(db.prepare('SELECT key, label FROM p').all()).toEqual([{ key: 'a', label: 'A' }]);
    rollBack(db, trip);
  });

  it('rebuilds a table whose columns only moved, which the differ does not report', () => {
    const db = database("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); INSERT INTO t VALUES (1, 'x', 'y');");
    const trip = plan(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, a TEXT)');
    expect(actions(trip.plan.ops)).toEqual(['rebuild-table t']);
    expect(db.prepare('SELECT * FROM t').raw().all()).toEqual([[1, 'y', 'x']]);
    rollBack(db, trip);
  });

  it('moves views on views and INSTEAD OF triggers out of the way and back', () => {
    const db = database(`
      CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
      CREATE VIEW v1 AS SELECT id, a FROM t;
      CREATE VIEW v2 AS SELECT a FROM v1;
      CREATE TRIGGER v1_insert INSTEAD OF INSERT ON v1 BEGIN INSERT INTO t (a) VALUES (new.a); END;`);
    const trip = plan(
      db,
      `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);
       CREATE VIEW v1 AS SELECT id, a, b FROM t;
       CREATE VIEW v2 AS SELECT a FROM v1;
       CREATE TRIGGER v1_insert INSTEAD OF INSERT ON v1 BEGIN INSERT INTO t (a) VALUES (new.a); END;`,
    );
    expect(actions(trip.plan.ops)).toEqual([
      'replace-trigger v1_insert',
      'replace-view v2',
      'replace-view v1',
      'add-column t.b',
      'replace-view v1',
      'replace-view v2',
      'replace-trigger v1_insert',
    ]);
    db.exec("INSERT INTO v1 (a) VALUES ('via view')");
    expect(db.prepare('SELECT a FROM v2').all()).toEqual([{ a: 'via view' }]);
    rollBack(db, trip);
  });

  it('rebuilds for a case-only column rename and a rename cycle', () => {
    const db = database(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER); INSERT INTO t VALUES (1, 'x', 2);",
    );
    const trip = plan(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, A TEXT, b INTEGER)', [
      { kind: 'column', table: 't', from: 'a', to: 'A' },
    ]);
    expect(actions(trip.plan.ops)).toEqual(['rebuild-table t']);
    const swap = plan(db, 'CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, A INTEGER)', [
      { kind: 'column', table: 't', from: 'A', to: 'b' },
      { kind: 'column', table: 't', from: 'b', to: 'A' },
    ]);
    expect(actions(swap.plan.ops)).toEqual(['rebuild-table t']);
    expect(db.prepare('SELECT b, A FROM t').get()).toEqual({ b: 'x', A: 2 });
  });

  it('moves an index name from one rebuilt table to another', () => {
    const db = database(`
      CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
      CREATE TABLE b (id INTEGER PRIMARY KEY, y TEXT); CREATE INDEX shared ON b (y);`);
    // a is rebuilt first, and must not create "shared" while b still has it.
    const trip = plan(
      db,
      `CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT NOT NULL DEFAULT ''); CREATE INDEX shared ON a (x);
       CREATE TABLE b (id INTEGER PRIMARY KEY, y TEXT NOT NULL DEFAULT '');`,
    );
    expect(actions(trip.plan.ops)).toEqual(['rebuild-table a', 'rebuild-table b', 'create-index shared']);
    rollBack(db, trip);
  });

  it('plans the same operations whatever order the models list their objects in', () => {
    const extra = `CREATE VIEW a_v AS SELECT * FROM Album; CREATE VIEW t_v AS SELECT Name FROM Track;
      CREATE TRIGGER a_t AFTER INSERT ON Album BEGIN SELECT 1; END; CREATE TRIGGER g_t AFTER INSERT ON Genre BEGIN SELECT 1; END;`;
    const from = desiredModel(CHINOOK_DDL + extra);
    const to = desiredModel(
      edit(
        CHINOOK_DDL + extra.replace('SELECT 1', 'SELECT 2'),
        ['[Title] NVARCHAR(160)  NOT NULL,', '[Title] TEXT NOT NULL,'],
        ['[Composer] NVARCHAR(220),', ''],
        ['CREATE INDEX [IFK_TrackGenreId] ON [Track] ([GenreId]);', 'CREATE INDEX t_name ON Track (Name);'],
      ),
    );
    const reversed = (model: SchemaModel): SchemaModel => ({
      ...model,
      namespaces: model.namespaces.map((ns) => ({
        ...ns,
        tables: [...ns.tables].reverse().map((t) => ({ ...t, indexes: [...t.indexes].reverse() })),
        views: [...ns.views].reverse(),
        triggers: [...ns.triggers].reverse(),
      })),
    });
    const planOf = (a: SchemaModel, b: SchemaModel) =>
      sqlitePlanner.plan(diffSchemas(a, b).changes, { from: a, to: b, options: {} });
    const ops = planOf(from, to);
    expect(ops.length).toBeGreaterThan(4);
    expect(planOf(reversed(from), reversed(to))).toEqual(ops);
  });
});
