import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinookPostgresSql } from '../../packages/agent/src/test-support/postgres-fixtures.js';
import { runCliAsync, scratchHome } from '../../packages/cli/src/services/control-plane/test-support/run-cli-async.js';
import { type CliResult, STACK_FRAME } from '../../packages/cli/src/test-support/run-cli.js';
import { runSql } from '../../scripts/test-support/postgres.js';
import {
  chinookPostgres,
  morePostgresLines,
  type PlannedChange,
  planPostgres,
  withClient,
} from './support/fixtures.js';
import { dedicatedPostgres } from './support/pg-cluster.js';
import { postgresState } from './support/target-state.js';

/*
 * Issue 10, chaos: restart PostgreSQL during an apply.
 *
 * A PostgreSQL server of this file's own (scripts/pg-server.mjs, as the shared test server is
 * started) holds Chinook with 120,000 extra invoice lines; `isotyp apply` — the built binary, a
 * separate process — applies the release plan (a transaction, then two CREATE INDEX
 * CONCURRENTLY steps). While the apply is provably in the middle of its work (its statement
 * seen waiting in pg_stat_activity — held there by a session the test controls, so the moment
 * is certain rather than timed), the server is restarted with `pg_ctl restart -m fast`, which
 * terminates every connection. Twice:
 *  - inside the first transaction: the apply exits 69 with ISOTYP_TARGET_UNREACHABLE and no
 *    stack trace, the database is exactly at fromDigest with no history and no step log, and
 *    the next `isotyp apply` applies the whole plan;
 *  - during the index build: same exit and code; the database is at the step the log recorded
 *    (the first transaction committed, the build marked started), and the next `isotyp apply`
 *    resumes it with the remaining statements.
 * Both end at the plan's toDigest with one history row and an empty step log. Bounded: two
 * restarts, each awaited by pg_ctl -w; every wait is a poll with a deadline.
 */

const EXTRA_ROWS = 120_000;

let server: Awaited<ReturnType<typeof dedicatedPostgres>>;
let change: PlannedChange;
let statements: number;

beforeAll(async () => {
  server = await dedicatedPostgres();
  // Planned on the shared server: a plan names schemas by digest, not by server.
  change = await planPostgres(await chinookPostgres(0));
  statements = change.plan.ops.reduce((n, op) => n + op.up.length, 0);
}, 120_000);

afterAll(() => {
  server?.stop();
});

/** A Chinook database on the dedicated server. */
async function chinookTarget(name: string): Promise<string> {
  await runSql(server.url, `CREATE DATABASE ${name}`);
  const url = server.databaseUrl(name);
  await runSql(url, `${chinookPostgresSql()}\n${morePostgresLines(EXTRA_ROWS)}`);
  return url;
}

/** `isotyp apply --plan` as a user runs it (the built binary, its own process). */
function isotypApply(url: string) {
  return runCliAsync(['apply', '--plan', change.planFile, '--target', url, '--yes', '--json'], {
    home: scratchHome(),
  });
}

/** Polls until the apply's session waits on a lock in a statement matching `like`; 15 s at most. */
async function untilApplyWaits(url: string, like: string): Promise<void> {
  await withClient(url, async (client) => {
    for (let i = 0; i < 300; i++) {
      const { rows } = await client.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'isotyp'
           AND wait_event_type = 'Lock' AND query LIKE $1`,
        [like],
      );
      if (rows.length > 0) return;
      await sleep(50);
    }
    throw new Error(`the apply never waited in ${like}`);
  });
}

/** A session the test holds open across the restart (it dies with it). */
async function holder(url: string, sql: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  await client.query(sql);
  return client;
}

/** Exit 69 and ISOTYP_TARGET_UNREACHABLE (the server's 57P01 admin_shutdown), with what to do next and no stack. */
function expectConnectionLost(result: CliResult): void {
  expect(result.status, result.stdout + result.stderr).toBe(69);
  expect(JSON.parse(result.stdout)).toEqual({
    error: {
      code: 'ISOTYP_TARGET_UNREACHABLE',
      message: 'The connection to the database was lost during the change.',
      hint: expect.stringContaining('Re-run the same command'),
      retryable: true,
      details: { sqlState: '57P01' },
    },
  });
  expect(result.stdout + result.stderr).not.toMatch(STACK_FRAME);
}

describe('restarting PostgreSQL during an apply', () => {
  it('inside the transaction: a clear error, nothing applied, and the next apply applies it all', async () => {
    const url = await chinookTarget('restart_in_transaction');
    expect((await postgresState(url)).digest).toBe(change.plan.fromDigest);
    // A reader of `invoice` keeps the plan's ALTER TABLE invoice waiting inside the transaction.
    const reader = await holder(url, 'BEGIN; SELECT count(*) FROM invoice');
    const applying = isotypApply(url);
    await untilApplyWaits(url, 'ALTER TABLE "public"."invoice"%');
    server.restart();
    const failed = await applying;
    await reader.end().catch(() => {});

    expectConnectionLost(failed);
    expect(await postgresState(url)).toMatchObject({ digest: change.plan.fromDigest, history: [], steps: [] });

    const resumed = await isotypApply(url);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ statements, toDigest: change.plan.toDigest });
    expect(await postgresState(url)).toMatchObject({
      digest: change.plan.toDigest,
      history: [{ direction: 'up', planDigest: change.plan.planDigest, reverted: false }],
      steps: [],
    });
  }, 120_000);

  it('during CREATE INDEX CONCURRENTLY: a clear error, the step on record, and the next apply resumes it', async () => {
    const url = await chinookTarget('restart_in_index_build');
    // An open snapshot makes the concurrent build wait before it can finish.
    const reader = await holder(url, 'BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
    const applying = isotypApply(url);
    await untilApplyWaits(url, 'CREATE INDEX CONCURRENTLY%');
    server.restart();
    const failed = await applying;
    await reader.end().catch(() => {});

    expectConnectionLost(failed);
    // The transaction before the build committed; the build is on record as started.
    const cut = await postgresState(url);
    expect(cut.history).toEqual([]);
    const firstBuild = change.plan.ops.findIndex((op) => !op.transactional);
    expect(cut.steps).toEqual([{ opIndex: firstBuild, status: 'started', digest: expect.any(String) }]);
    expect(cut.digest).not.toBe(change.plan.fromDigest);

    const resumed = await isotypApply(url);
    expect(resumed.status, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { statements: number };
    expect(result.statements).toBeLessThan(statements);
    expect(result.statements).toBe(change.plan.ops.slice(firstBuild).reduce((n, op) => n + op.up.length, 0));
    expect(await postgresState(url)).toMatchObject({
      digest: change.plan.toDigest,
      history: [{ direction: 'up', planDigest: change.plan.planDigest, reverted: false }],
      steps: [],
    });
  }, 120_000);
});
