import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planTarget } from '@isotyp/agent';
import type { Plan } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll } from 'vitest';
import { chinookPostgresSql } from '../../../packages/agent/src/test-support/postgres-fixtures.js';
import { databaseUrl, postgresServerUrl, runSql, tempDatabase } from '../../../scripts/test-support/postgres.js';

/*
 * The databases the chaos tests break: Chinook (the public sample, kept in examples/) with its
 * invoice lines multiplied so that index builds and table rebuilds take long enough to be cut
 * in the middle, and one release of changes planned by the agent's own planner — a new column,
 * a new table with foreign keys, and new indexes (on PostgreSQL built CONCURRENTLY, outside any
 * transaction, as `isotyp plan --concurrent-indexes` does).
 */

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory removed after the test file. */
export function scratchDir(prefix = 'isotyp-chaos-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Chinook's desired state on PostgreSQL: the published schema plus one release of changes. */
export const POSTGRES_RELEASE = `
ALTER TABLE invoice ADD COLUMN paid_at TIMESTAMP;
CREATE INDEX invoice_line_track_price_idx ON invoice_line (track_id, unit_price);
CREATE INDEX invoice_line_quantity_idx ON invoice_line (quantity, invoice_id);
CREATE TABLE track_rating (
  track_id INT NOT NULL REFERENCES track (track_id),
  customer_id INT NOT NULL REFERENCES customer (customer_id),
  stars INT NOT NULL CHECK (stars BETWEEN 1 AND 5),
  PRIMARY KEY (track_id, customer_id)
);
CREATE INDEX track_rating_customer_idx ON track_rating (customer_id);
`;

/** More invoice lines (Chinook has 2,240), for index builds that take a while. */
export function morePostgresLines(rows: number): string {
  return `INSERT INTO invoice_line (invoice_line_id, invoice_id, track_id, unit_price, quantity)
    SELECT 10000 + g, 1 + g % 412, 1 + g % 3503, 0.99, 1 + g % 3 FROM generate_series(1, ${rows}) g;
    ANALYZE;`;
}

export interface PlannedChange {
  plan: Plan;
  /** The plan as `isotyp plan --out` writes it, for a child process to read. */
  planFile: string;
}

/** Chinook on the test server with `rows` more invoice lines; its database name. */
export async function chinookPostgres(rows: number): Promise<string> {
  return (await tempDatabase(`${chinookPostgresSql()}\n${morePostgresLines(rows)}`)).name;
}

/**
 * The agent's plan from database `name` (Chinook) to Chinook plus `release` (SQL run after the
 * published script); by default the release above, with its indexes built concurrently.
 */
export async function planPostgres(
  name: string,
  release = POSTGRES_RELEASE,
  concurrentIndexes = true,
): Promise<PlannedChange> {
  return planPostgresFrom(name, chinookPostgresSql(), release, concurrentIndexes);
}

/** The agent's plan from database `name`, made by `base`, to `base` plus `release`. */
export async function planPostgresFrom(
  name: string,
  base: string,
  release: string,
  concurrentIndexes = false,
): Promise<PlannedChange> {
  const dir = scratchDir();
  const desired = join(dir, 'desired.sql');
  writeFileSync(desired, `${base}\n${release}`);
  const planned = await planTarget(databaseUrl(name), { schema: desired, concurrentIndexes });
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(planned.plan));
  return { plan: planned.plan, planFile };
}

/** A copy of database `template` on the test server; its URL, and a drop for when it is done. */
export async function copyDatabase(template: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `isotyp_test_${randomBytes(6).toString('hex')}`;
  await runSql(postgresServerUrl(), `CREATE DATABASE ${name} TEMPLATE ${template}`);
  return {
    url: databaseUrl(name),
    drop: () => runSql(postgresServerUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Chinook's desired state on SQLite (examples/chinook-sqlite/schema.sql) plus a CHECK that rebuilds InvoiceLine. */
export function sqliteDesired(): string {
  const schema = readFileSync(join(examples, 'chinook-sqlite', 'schema.sql'), 'utf8');
  const checked = schema.replace(
    '[Quantity] INTEGER  NOT NULL,\n    CONSTRAINT [PK_InvoiceLine]',
    '[Quantity] INTEGER  NOT NULL CHECK ([Quantity] > 0),\n    CONSTRAINT [PK_InvoiceLine]',
  );
  if (checked === schema) throw new Error('examples/chinook-sqlite/schema.sql changed: update the chaos fixture');
  return checked;
}

/** A Chinook SQLite file with `rows` more invoice lines, removed after the test file. */
export function chinookSqlite(rows: number): string {
  const template = join(scratchDir(), 'chinook.db');
  const db = new Database(template);
  try {
    db.exec(readFileSync(join(examples, 'chinook-sqlite', 'chinook.sql'), 'utf8'));
    db.exec(`INSERT INTO InvoiceLine (InvoiceLineId, InvoiceId, TrackId, UnitPrice, Quantity)
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${rows})
      SELECT 10000 + n, 1 + n % 412, 1 + n % 3503, 0.99, 1 + n % 3 FROM g`);
  } finally {
    db.close();
  }
  return template;
}

/**
 * The agent's plan from the SQLite file `path` to `desired` (by default the example's release
 * plus a CHECK on InvoiceLine, which makes the planner rebuild that table).
 */
export async function planSqlite(path: string, desired = sqliteDesired()): Promise<PlannedChange> {
  const dir = scratchDir();
  const schema = join(dir, 'desired.sql');
  writeFileSync(schema, desired);
  const planned = await planTarget(`sqlite:${path}`, { schema });
  const planFile = join(dir, 'plan.json');
  writeFileSync(planFile, JSON.stringify(planned.plan));
  return { plan: planned.plan, planFile };
}

/** A copy of the SQLite file `template` in `dir`. */
export function copySqlite(template: string, dir: string): string {
  const path = join(dir, `run-${randomBytes(4).toString('hex')}.db`);
  copyFileSync(template, path);
  return path;
}

/** Opens a pg client, runs `work`, closes it. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
