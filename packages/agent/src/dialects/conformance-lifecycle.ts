import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../apply/apply.js';
import { detectDrift } from '../apply/drift.js';
import { rollbackLatest } from '../apply/rollback.js';
import { openRunner, planTarget } from '../local.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { type ConformanceCase, type ConformanceHarness, PORTABLE_SCHEMA } from './conformance.js';

/*
 * The change contract every dialect keeps, through the same entry points the CLI uses
 * (planTarget → applyPlan → detectDrift → rollbackLatest): a plan reaches exactly the desired
 * schema, re-planning finds nothing, rows survive where their columns do, and a reversible
 * change rolls back to the original digest.
 */

const ROWS =
  "INSERT INTO author VALUES (1, 'Le Guin'), (2, 'Butler'); INSERT INTO book VALUES (1, 1, 'Lathe', 9), (2, 2, 'Kindred', 12)";

/** Realistic evolutions of the portable schema, in SQL both dialects accept. */
export const PORTABLE_EVOLUTIONS: { name: string; schema: string; reversible: boolean }[] = [
  {
    name: 'add a nullable column',
    schema: PORTABLE_SCHEMA.replace('price NUMERIC DEFAULT 0', 'price NUMERIC DEFAULT 0,\n  pages INTEGER'),
    reversible: true,
  },
  {
    name: 'add a table with a foreign key and an index',
    schema: `${PORTABLE_SCHEMA}\nCREATE TABLE review (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES book (id), stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5));\nCREATE INDEX review_book ON review (book_id);`,
    reversible: true,
  },
  {
    name: 'add an index',
    schema: `${PORTABLE_SCHEMA}\nCREATE INDEX book_author ON book (author_id);`,
    reversible: true,
  },
  { name: 'change a view', schema: PORTABLE_SCHEMA.replace('WHERE price < 10', 'WHERE price < 20'), reversible: true },
  {
    name: 'rename a column (hinted), keeping its values',
    schema: `-- isotyp:rename column book.title to name\n${PORTABLE_SCHEMA.replaceAll('title', 'name').replace('book_name ON book (name)', 'book_title ON book (name)')}`,
    reversible: true,
  },
  {
    name: 'drop a column',
    schema: PORTABLE_SCHEMA.replace(',\n  price NUMERIC DEFAULT 0', '').replace(' WHERE price < 10', ''),
    reversible: false,
  },
];

export function lifecycleConformance(harness: ConformanceHarness): ConformanceCase[] {
  return PORTABLE_EVOLUTIONS.map((evolution) => ({
    name: `plans, applies and rolls back: ${evolution.name}`,
    async run() {
      const target = await harness.fresh(PORTABLE_SCHEMA);
      await target.exec(ROWS);
      const before = schemaDigest(await target.introspect());
      const file = join(mkdtempSync(join(tmpdir(), 'isotyp-conformance-')), 'schema.sql');
      writeFileSync(file, evolution.schema);

      const { plan } = await planTarget(target.url, { schema: file });
      assert.equal(plan.fromDigest, before);
      assert.ok(plan.ops.length > 0, 'the evolution planned no operations');
      const runner = openRunner(target.url);
      try {
        await applyPlan(runner, plan, 'conformance');
        assert.equal(schemaDigest(await target.introspect()), plan.toDigest);
        assert.equal(
          (await planTarget(target.url, { schema: file })).plan.ops.length,
          0,
          're-planning found more to do',
        );
        assert.equal((await detectDrift(runner)).drifted, false);
        assert.equal(await target.scalar('SELECT count(*) FROM book'), '2', 'rows were lost');
        assert.equal(await target.scalar('SELECT author_id FROM book WHERE id = 2'), '2');
        if (evolution.name.startsWith('rename'))
          assert.equal(await target.scalar('SELECT name FROM book WHERE id = 1'), 'Lathe');
        if (evolution.reversible) {
          await rollbackLatest(runner, 'conformance');
          assert.equal(schemaDigest(await target.introspect()), before, 'rollback did not restore the schema');
          assert.equal(await target.scalar('SELECT count(*) FROM book'), '2');
        } else {
          await assert.rejects(rollbackLatest(runner, 'conformance'), { code: 'ISOTYP_IRREVERSIBLE' });
        }
      } finally {
        await runner.close();
      }
    },
  }));
}
