import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Suggestion, type SuggestionKind, suggestionSchema } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type TempDatabase, tempDatabase } from '../test-support/postgres.js';
import { chinookPostgresSql, pagilaSql } from '../test-support/postgres-fixtures.js';
import { CHINOOK_SQL, tempSqlite } from '../test-support/temp-sqlite.js';
import { type Advice, adviseTarget, detectors } from './advise.js';
import { type CorpusCase, corpus } from './corpus/labels.js';

/*
 * The schema advisor against its labelled corpus (corpus/labels.ts): each schema loaded into a
 * real database (SQLite files, the test PostgreSQL server), the advisor run as `isotyp suggest`
 * runs it, and each detector's suggestions compared with the labels. Precision and recall per
 * detector are written to .artifacts/advisor-corpus.json and printed; the goal is precision
 * ≥ 0.9 for every rule-based detector, and no suggestion whose proposal fails to plan.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const REPORT = here('../../../../.artifacts/advisor-corpus.json');

/** What a suggestion is about, spelled as the labels spell it. */
export function labelKey(suggestion: Suggestion): string {
  const edit = suggestion.edits[0];
  if (suggestion.kind === 'fk-without-index' && edit?.op === 'add-index') {
    return `${edit.table}(${edit.index.keys.map((k) => k.column).join(', ')})`;
  }
  return suggestion.objects[0]?.name ?? '';
}

const databases: TempDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function sqliteCase(sql: string, seed?: (db: Database.Database) => void): Promise<Advice> {
  const path = tempSqlite(sql);
  if (seed !== undefined) {
    const db = new Database(path);
    seed(db);
    db.close();
  }
  return adviseTarget(`sqlite:${path}`, { readData: seed !== undefined });
}

async function postgresCase(sql: string, workload?: (client: pg.Client) => Promise<void>): Promise<Advice> {
  const db = await tempDatabase(sql);
  databases.push(db);
  if (workload !== undefined) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await workload(client);
    } finally {
      // A backend that ends flushes its statistics to the shared statistics store.
      await client.end();
    }
  }
  return adviseTarget(db.url, { readData: workload !== undefined, minStatisticsAgeDays: 0 });
}

/** Rows for the crafted SQLite shop: names and statuses always set, notes sometimes. */
function seedShop(db: Database.Database): void {
  const customer = db.prepare('INSERT INTO customer (email, name, note) VALUES (?, ?, ?)');
  const order = db.prepare('INSERT INTO "order" (customer_id, placed_at, status) VALUES (?, ?, ?)');
  for (let i = 1; i <= 150; i++) customer.run(`c${i}@shop.test`, `Customer ${i}`, i % 3 === 0 ? null : 'vip');
  for (let i = 1; i <= 200; i++) order.run(1 + (i % 150), `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`, 'open');
}

/** A workload that leaves statistics telling the crafted PostgreSQL shop's story. */
async function shopWorkload(client: pg.Client): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await client.query(
    "INSERT INTO account (email, region) SELECT 'u' || g || '@shop.test', 'eu' FROM generate_series(1, 200) g",
  );
  await client.query(
    "INSERT INTO event (account_id, kind, happened_at) SELECT 1 + g % 200, 'k' || (g % 5), now() - g * interval '1 minute' FROM generate_series(1, 5000) g",
  );
  await client.query(
    "INSERT INTO log_line (region, message) SELECT CASE WHEN g % 3 = 0 THEN 'eu' ELSE 'us' END, 'm' || g FROM generate_series(1, 20000) g",
  );
  await client.query('ANALYZE');
  await client.query("SELECT setval(pg_get_serial_sequence('counter', 'id'), 1900000000)");
  await client.query('SET enable_seqscan = off');
  for (let i = 0; i < 3; i++) {
    await client.query('SELECT count(*) FROM event WHERE account_id = $1', [7 + i]);
    await client.query("SELECT count(*) FROM event WHERE kind = $1 AND happened_at > now() - interval '1 day'", ['k1']);
  }
  await client.query('RESET enable_seqscan');
  for (let i = 0; i < 60; i++)
    await client.query('SELECT count(*) FROM log_line WHERE region = $1', [i % 2 ? 'eu' : 'us']);
}

const runs: Record<string, () => Promise<Advice>> = {
  'shop (SQLite, crafted)': () => sqliteCase(readFileSync(here('./corpus/shop-sqlite.sql'), 'utf8'), seedShop),
  'Chinook (SQLite)': () => sqliteCase(readFileSync(CHINOOK_SQL, 'utf8')),
  'shop (PostgreSQL, crafted, with statistics)': () =>
    postgresCase(readFileSync(here('./corpus/shop-postgres.sql'), 'utf8'), shopWorkload),
  'Chinook (PostgreSQL)': () => postgresCase(chinookPostgresSql()),
  'Pagila (PostgreSQL)': () => postgresCase(pagilaSql()),
};

interface Tally {
  tp: number;
  fp: number;
  fn: number;
  falsePositives: string[];
  falseNegatives: string[];
}

describe('the schema advisor on its labelled corpus', () => {
  const tallies = new Map<SuggestionKind, Tally>();
  const refused: string[] = [];

  it.each(corpus.map((c) => [c.name, c] as [string, CorpusCase]))('%s', async (name, labelled) => {
    const advice = await runs[name]?.();
    if (advice === undefined) throw new Error(`no run for ${name}`);
    expect(advice.dialect).toBe(labelled.dialect);
    // Every suggestion is well formed, and every proposal planned against this very schema.
    for (const suggestion of advice.suggestions) expect(suggestionSchema.parse(suggestion)).toEqual(suggestion);
    refused.push(...advice.refused.map((r) => `${name}: ${r.kind} ${r.object}: ${r.reason}`));
    for (const kind of labelled.judged) {
      const found = new Set(advice.suggestions.filter((s) => s.kind === kind).map(labelKey));
      const expected = new Set(labelled.expected[kind] ?? []);
      const tally = tallies.get(kind) ?? { tp: 0, fp: 0, fn: 0, falsePositives: [], falseNegatives: [] };
      for (const key of found) {
        if (expected.has(key)) tally.tp += 1;
        else {
          tally.fp += 1;
          tally.falsePositives.push(`${name}: ${key}`);
        }
      }
      for (const key of expected) {
        if (!found.has(key)) {
          tally.fn += 1;
          tally.falseNegatives.push(`${name}: ${key}`);
        }
      }
      tallies.set(kind, tally);
    }
  });

  it('has precision ≥ 0.9 for every rule-based detector, finds something with each, and plans every proposal', () => {
    const rows = detectors.map((detector) => {
      const t = tallies.get(detector.kind) ?? { tp: 0, fp: 0, fn: 0, falsePositives: [], falseNegatives: [] };
      const precision = t.tp + t.fp === 0 ? 1 : t.tp / (t.tp + t.fp);
      const recall = t.tp + t.fn === 0 ? 1 : t.tp / (t.tp + t.fn);
      return { detector: detector.kind, ...t, precision, recall };
    });
    mkdirSync(here('../../../../.artifacts'), { recursive: true });
    writeFileSync(REPORT, `${JSON.stringify({ cases: corpus.map((c) => c.name), detectors: rows }, null, 2)}\n`);
    console.log(
      ['detector                      TP  FP  FN  precision  recall']
        .concat(
          rows.map(
            (r) =>
              `${r.detector.padEnd(29)} ${String(r.tp).padStart(3)} ${String(r.fp).padStart(3)} ${String(r.fn).padStart(3)}  ${r.precision.toFixed(2).padStart(9)}  ${r.recall.toFixed(2).padStart(6)}`,
          ),
        )
        .join('\n'),
    );
    expect(refused).toEqual([]);
    for (const row of rows) {
      expect(row.tp, `${row.detector} found nothing in the corpus`).toBeGreaterThan(0);
      expect(row.precision, `${row.detector}: ${row.falsePositives.join('; ')}`).toBeGreaterThanOrEqual(0.9);
    }
  });
});
