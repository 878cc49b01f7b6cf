import { IsotypError, type Plan, type PlanOperation, planDigest } from '@isotyp/protocol';
import pg from 'pg';
import { afterEach } from 'vitest';
import type { ChangeRunner } from '../apply/session.js';
import { introspectPostgres } from '../dialects/postgres/introspect.js';
import { postgresRunner } from '../dialects/postgres/runner.js';
import { schemaDigest } from '../schema/schema-digest.js';
import { queryRows, tempDatabase } from './postgres.js';

/*
 * Hand-made PostgreSQL plans for the apply tests, independent of the planner: the digests come
 * from really running the statements on a scratch database built from the same SQL.
 */

/** A small schema with rows, so that index builds and column changes have something to do. */
export const SHOP_SQL = `
CREATE TABLE customer (id int PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer, total numeric(10, 2));
INSERT INTO customer SELECT g, 'c' || g || '@example.org', 'name ' || g FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, g / 100.0 FROM generate_series(1, 5000) g;`;

/** The live schema digest of the database at `url`. */
export async function digestOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return schemaDigest(await introspectPostgres(client));
  } finally {
    await client.end();
  }
}

/** A plan from `baseSql`'s schema to what `ops` make of it, each statement run on its own. */
export async function postgresPlanFor(baseSql: string, ops: PlanOperation[]): Promise<Plan> {
  const scratch = await tempDatabase(baseSql);
  try {
    const fromDigest = await digestOf(scratch.url);
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      // Autocommit, statement by statement, as CREATE INDEX CONCURRENTLY requires.
      for (const sql of ops.flatMap((op) => op.up)) await client.query(sql);
    } finally {
      await client.end();
    }
    const toDigest = await digestOf(scratch.url);
    const body = { v: 1 as const, dialect: 'postgres' as const, fromDigest, toDigest, ops };
    return { ...body, planDigest: planDigest(body) };
  } finally {
    await scratch.drop();
  }
}

/** An operation with the fields the tests do not care about filled in. */
export function pgOp(
  op: Pick<PlanOperation, 'action' | 'object' | 'up' | 'down'> & Partial<PlanOperation>,
): PlanOperation {
  return {
    irreversibleReason: op.down === null ? 'irreversible' : null,
    risk: 'safe',
    lock: 'writes-blocked',
    dataLoss: false,
    transactional: true,
    ...op,
  };
}

export const addTier = pgOp({
  action: 'add-column',
  object: { kind: 'column', namespace: 'public', name: 'customer.tier' },
  up: ['ALTER TABLE public.customer ADD COLUMN tier text'],
  down: ['ALTER TABLE public.customer DROP COLUMN tier'],
});

/** Built outside the transaction, as `isotyp plan --concurrent-indexes` would. */
export const indexEmail = pgOp({
  action: 'create-index',
  object: { kind: 'index', namespace: 'public', name: 'customer.customer_email_idx' },
  up: ['CREATE INDEX CONCURRENTLY customer_email_idx ON public.customer (email)'],
  down: ['DROP INDEX CONCURRENTLY IF EXISTS public.customer_email_idx'],
  lock: 'none',
  transactional: false,
});

export const addPlaced = pgOp({
  action: 'add-column',
  object: { kind: 'column', namespace: 'public', name: 'orders.placed_at' },
  up: ['ALTER TABLE public.orders ADD COLUMN placed_at timestamptz'],
  down: ['ALTER TABLE public.orders DROP COLUMN placed_at'],
});

const runners: ChangeRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
});

/** A runner closed after the test. */
export function pgRunner(url: string, options: { lockTimeoutMs?: number; pollMs?: number } = {}): ChangeRunner {
  const runner = postgresRunner({ url }, options);
  runners.push(runner);
  return runner;
}

/** The rows of `isotyp.history`, oldest first, with the fields the tests check. */
export async function historyRows(url: string): Promise<Record<string, unknown>[]> {
  return queryRows(
    url,
    `SELECT id::int, direction, actor, plan_digest, from_version, to_version, reverts_id::int, reverted_by_id::int
     FROM isotyp.history ORDER BY id`,
  );
}

export function codeOf(error: unknown): string {
  return error instanceof IsotypError ? error.code : String(error);
}
