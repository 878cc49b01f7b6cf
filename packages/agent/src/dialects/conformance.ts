import assert from 'node:assert/strict';
import { canonicalize, type Dialect as DialectName, type SchemaModel, schemaModelSchema } from '@isotyp/protocol';
import { schemaDigest } from '../schema/schema-digest.js';

/*
 * The introspection contract every dialect keeps (Drizzle-style: one suite, one harness per
 * driver). It returns plain cases that throw on failure, so it needs no test framework and
 * any runner can register them; conformance.test.ts runs it for SQLite and PostgreSQL.
 */

/** A database of the dialect under test, made by the harness. */
export interface ConformanceTarget {
  /** The target URL (`sqlite:…` or `postgres://…`) the CLI and `planTarget` would use. */
  url: string;
  introspect(): Promise<SchemaModel>;
  /** Runs SQL (DDL or DML) on it. */
  exec(sql: string): Promise<void>;
  /** The first column of the first row of a query, as text. */
  scalar(sql: string): Promise<string>;
}

export interface ConformanceHarness {
  dialect: DialectName;
  /** A new, empty database with `sql` loaded into it. */
  fresh(sql: string): Promise<ConformanceTarget>;
  /** Real-world schemas of this dialect, each checked for a stable digest like the base one. */
  fixtures?: { name: string; sql: string }[];
  /** Overrides of the portable SQL below, for a dialect that cannot run it. */
  schema?: string;
  addColumn?: string;
  insertRows?: string;
}

export interface ConformanceCase {
  name: string;
  run(): Promise<void>;
}

/** Tables, keys, a foreign key, a check, an index and a view that SQLite and PostgreSQL both accept. */
export const PORTABLE_SCHEMA = `
CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE book (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES author (id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) > 0),
  price NUMERIC DEFAULT 0
);
CREATE INDEX book_title ON book (title);
CREATE VIEW cheap_books AS SELECT id, title FROM book WHERE price < 10;
`;
const PORTABLE_ADD_COLUMN = 'ALTER TABLE book ADD COLUMN pages INTEGER';
const PORTABLE_ROWS = "INSERT INTO author VALUES (1, 'Le Guin'); INSERT INTO book VALUES (1, 1, 'Lathe', 9)";

/**
 * The cases of the introspection contract for one dialect.
 *
 * @example
 * for (const c of introspectionConformance(sqliteHarness)) it(c.name, c.run);
 */
export function introspectionConformance(harness: ConformanceHarness): ConformanceCase[] {
  const schema = harness.schema ?? PORTABLE_SCHEMA;
  const cases: ConformanceCase[] = [
    {
      name: 'introspects to a model that parses as the neutral schema model, names sorted',
      async run() {
        const model = await (await harness.fresh(schema)).introspect();
        assert.deepEqual(schemaModelSchema.parse(model), model, 'the model has fields the schema does not know');
        assert.equal(model.dialect, harness.dialect);
        assertSorted(model);
      },
    },
    {
      name: 'gives the same canonical JSON when introspected twice',
      async run() {
        const target = await harness.fresh(schema);
        assert.equal(canonicalize(await target.introspect()), canonicalize(await target.introspect()));
      },
    },
    {
      name: 'gives the same digest whatever the rows',
      async run() {
        const target = await harness.fresh(schema);
        const before = schemaDigest(await target.introspect());
        await target.exec(harness.insertRows ?? PORTABLE_ROWS);
        assert.equal(schemaDigest(await target.introspect()), before);
      },
    },
    {
      name: 'gives a new digest after ADD COLUMN',
      async run() {
        const target = await harness.fresh(schema);
        const before = schemaDigest(await target.introspect());
        await target.exec(harness.addColumn ?? PORTABLE_ADD_COLUMN);
        assert.notEqual(schemaDigest(await target.introspect()), before);
      },
    },
  ];
  for (const fixture of [{ name: 'the portable schema', sql: schema }, ...(harness.fixtures ?? [])]) {
    cases.push({
      name: `gives byte-identical models for two databases built from ${fixture.name}`,
      async run() {
        const [a, b] = await Promise.all([harness.fresh(fixture.sql), harness.fresh(fixture.sql)]);
        const first = await a.introspect();
        assert.deepEqual(schemaModelSchema.parse(first), first);
        assert.equal(canonicalize(await b.introspect()), canonicalize(first));
      },
    });
  }
  return cases;
}

function assertSorted(model: SchemaModel): void {
  const check = (what: string, names: string[]): void => {
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(names, sorted, `${what} are not sorted by name`);
  };
  check(
    'namespaces',
    model.namespaces.map((n) => n.name),
  );
  for (const ns of model.namespaces) {
    for (const kind of ['tables', 'views', 'enums', 'domains', 'sequences', 'routines', 'triggers'] as const) {
      check(
        `${ns.name} ${kind}`,
        ns[kind].map((item) => item.name),
      );
    }
    for (const table of ns.tables) {
      for (const kind of ['indexes', 'foreignKeys', 'uniques', 'checks'] as const) {
        check(
          `${table.name} ${kind}`,
          table[kind].map((item) => item.name),
        );
      }
    }
  }
}
