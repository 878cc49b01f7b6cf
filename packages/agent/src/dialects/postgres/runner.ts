import type { SchemaModel } from '@isotyp/protocol';
import type pg from 'pg';
import type { ChangeRunner, TargetSession } from '../../apply/session.js';
import { schemaDigest } from '../../schema/schema-digest.js';
import { redactTargetUrl } from '../../target/target-url.js';
import { openPostgres, type PostgresTarget } from './client.js';
import { introspectPostgres } from './introspect.js';
import {
  ensureHistory,
  finishStep,
  insertHistory,
  latestHistory,
  markReverted,
  readSteps,
  startStep,
} from './pg-history.js';
import { acquireChangeLock } from './pg-lock.js';
import {
  buildsConcurrentIndex,
  changeFailure,
  dropConcurrentIndexes,
  readFailure,
  runStatements,
  statementError,
} from './pg-statements.js';

export interface PostgresRunnerOptions {
  /** How long to wait for another apply or rollback to release the target; default 30 s. */
  lockTimeoutMs?: number;
  /** First wait between attempts to take the lock; it doubles up to a second. Default 100 ms. */
  pollMs?: number;
  /**
   * How long one statement may wait for a table lock (PostgreSQL lock_timeout) before the change
   * fails and rolls back, instead of queueing behind a long transaction while every later query
   * on that table queues behind it. Default 10 s.
   */
  ddlLockTimeoutMs?: number;
}

/** Where one change stands on its connection. */
interface ChangeState {
  /** A transaction is open (false only while non-transactional statements run). */
  open: boolean;
  /** Part of this run is committed for good: a step ran, or an interrupted run is resuming. */
  committed: boolean;
}

/**
 * Opens a PostgreSQL target for applying, rolling back and drift checks. Each change gets a
 * connection of its own, holds the target's advisory lock for its whole length and runs in one
 * transaction, except operations that PostgreSQL refuses inside one (CREATE INDEX
 * CONCURRENTLY), which run after it commits as steps recorded in `isotyp.steps`.
 *
 * @example
 * const runner = postgresRunner({ url: 'postgres://isotyp@db/app' }, { lockTimeoutMs: 60_000 });
 * try {
 *   await applyPlan(runner, plan, 'dba@example.org');
 * } finally {
 *   await runner.close();
 * }
 */
export function postgresRunner(target: PostgresTarget, options: PostgresRunnerOptions = {}): ChangeRunner {
  const display = redactTargetUrl(target.url);
  const lock = { timeoutMs: options.lockTimeoutMs ?? 30_000, pollMs: options.pollMs ?? 100 };
  const clients = new Set<pg.Client>();
  const ddlLockTimeoutMs = Math.max(1, Math.round(options.ddlLockTimeoutMs ?? 10_000));
  const connect = async (): Promise<pg.Client> => {
    const client = await openPostgres(target);
    clients.add(client);
    await client.query(`SET lock_timeout = ${ddlLockTimeoutMs}`);
    return client;
  };
  const disconnect = async (client: pg.Client): Promise<void> => {
    clients.delete(client);
    await client.end().catch(() => {});
  };
  return {
    dialect: 'postgres',
    async withChange(work) {
      const client = await connect();
      try {
        const release = await acquireChangeLock(client, lock, display).catch((error: unknown) => {
          throw changeFailure(error, false);
        });
        try {
          return await inTransaction(client, work);
        } finally {
          await release();
        }
      } finally {
        await disconnect(client);
      }
    },
    async read(work) {
      const client = await connect();
      // Only the database calls are wrapped: an error of `work` itself stays what it is.
      const guard = <T>(call: Promise<T>): Promise<T> =>
        call.catch((error: unknown) => {
          throw readFailure(error);
        });
      try {
        return await work({
          introspect: () => guard(introspectPostgres(client)),
          latest: () => guard(latestHistory(client, false)),
          latestApplied: () => guard(latestHistory(client, true)),
        });
      } finally {
        await disconnect(client);
      }
    },
    async close() {
      await Promise.all([...clients].map(disconnect));
    },
  };
}

/** Runs `work` in a transaction it commits, or rolls back when anything throws. */
async function inTransaction<T>(client: pg.Client, work: (session: TargetSession) => Promise<T>): Promise<T> {
  const state: ChangeState = { open: false, committed: false };
  try {
    await begin(client, state);
    await ensureHistory(client);
    const result = await work(changeSession(client, state));
    await commit(client, state);
    return result;
  } catch (error) {
    // A dead connection has nothing to roll back: the server already did.
    if (state.open) await client.query('ROLLBACK').catch(() => {});
    throw changeFailure(error, state.committed);
  }
}

async function begin(client: pg.Client, state: ChangeState): Promise<void> {
  await client.query('BEGIN');
  state.open = true;
}

async function commit(client: pg.Client, state: ChangeState): Promise<void> {
  state.open = false;
  await client.query('COMMIT');
}

function changeSession(client: pg.Client, state: ChangeState): TargetSession {
  /** Commits the change so far, runs `work` outside any transaction, then opens the next one. */
  const outside = async (work: () => Promise<void>): Promise<void> => {
    await commit(client, state);
    state.committed = true;
    await work();
    await begin(client, state);
  };
  return {
    introspect: () => (state.open ? introspectInTransaction(client) : introspectPostgres(client)),
    run: (statements, offset = 0) => runStatements(client, statements, offset, state.committed),
    async runOutsideTransaction(statements, step) {
      // Recorded in the transaction that commits the work before it: no window in which the
      // step ran but the log does not say so.
      await startStep(client, step);
      await outside(async () => {
        for (const [i, sql] of statements.entries()) {
          try {
            await client.query(sql);
          } catch (error) {
            const failure = statementError(error, step.offset + i + 1, true);
            // An INVALID index would slow every write until the retry; 42P07 means the name was
            // taken before this step, by an index that is not ours to drop.
            if (failure.code === 'ISOTYP_APPLY_FAILED' && failure.details?.sqlState !== '42P07') {
              await dropConcurrentIndexes(client, statements).catch(() => {});
            }
            throw failure;
          }
        }
        await finishStep(client, step, schemaDigest(await introspectPostgres(client)));
      });
    },
    async steps(key) {
      const log = await readSteps(client, key);
      if (log.length > 0) state.committed = true;
      return log;
    },
    async prepareRetry(statements) {
      if (buildsConcurrentIndex(statements)) await outside(() => dropConcurrentIndexes(client, statements));
    },
    latest: () => latestHistory(client, false),
    latestApplied: () => latestHistory(client, true),
    record: (row) => insertHistory(client, row),
    markReverted: (id, byId) => markReverted(client, id, byId),
  };
}

/**
 * Introspects inside the change's transaction (seeing its uncommitted DDL) within a savepoint
 * that is rolled back: introspection pins search_path and output settings with SET LOCAL, which
 * must not leak into the plan's statements that follow.
 */
async function introspectInTransaction(client: pg.Client): Promise<SchemaModel> {
  await client.query('SAVEPOINT isotyp_introspect');
  let model: SchemaModel;
  try {
    model = await introspectPostgres(client, { inTransaction: true });
  } catch (error) {
    // Report the introspection's error, not a second one from a connection that is gone.
    await client.query('ROLLBACK TO SAVEPOINT isotyp_introspect').catch(() => {});
    throw error;
  }
  await client.query('ROLLBACK TO SAVEPOINT isotyp_introspect; RELEASE SAVEPOINT isotyp_introspect');
  return model;
}
