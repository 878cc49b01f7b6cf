import { fileURLToPath } from 'node:url';
import { IsotypError, isIsotypError } from '@isotyp/protocol';
import { and, desc, eq, getTableName, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { createStore } from '../core/create-store.js';
import { type Driver, wrapRunner } from '../core/driver.js';
import { failureToError, inUse, redactUrl } from '../core/errors.js';
import { auditEntryAt } from '../core/records.js';
import { TransactionScope } from '../core/transaction-scope.js';
import type { OpenStoreOptions, Store } from '../store.js';
import { classify, connectFailure } from './postgres-errors.js';
import { postgresRunner, tables } from './postgres-runner.js';
import { auditEntries, schemaVersions, targets } from './schema.js';

// src/storage/postgres and dist/storage/postgres both sit three levels under the package root.
const migrationsFolder = fileURLToPath(new URL('../../../drizzle/postgres', import.meta.url));

// Advisory lock keys (two int4s: a namespace, then the purpose), shared by every replica.
const LOCK_NAMESPACE = 0x49_53_4f_54; // "ISOT"
const MIGRATE_LOCK = `${LOCK_NAMESPACE}, 1`;
const AUDIT_LOCK = `${LOCK_NAMESPACE}, 2`;
/** Held by a store opened `alone` for its life; every other store waits for it when it opens. */
const MAINTENANCE_LOCK = `${LOCK_NAMESPACE}, 3`;

export interface PostgresStoreOptions extends OpenStoreOptions {
  /** Pool size (default 10). */
  max?: number;
  /** How long a store opening waits for a maintenance run to end (default MAINTENANCE_WAIT_MS). */
  maintenanceWaitMs?: number;
}

/** A rotation takes seconds; a run held far longer is stuck, and a replica should say so. */
const MAINTENANCE_WAIT_MS = 120_000;

/**
 * A control plane that starts while maintenance holds the database waits for it to end, and then
 * opens what the maintenance left (a rotated passphrase, say), not what was before; after
 * `waitMs` it stops with ISOTYP_CONFLICT rather than hang without a word.
 */
async function waitForMaintenance(pool: pg.Pool, waitMs: number): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(waitMs))}`);
    // Released at the end of the transaction: only passing it matters.
    await client.query(`SELECT pg_advisory_xact_lock_shared(${MAINTENANCE_LOCK})`);
    await client.query('COMMIT');
  } catch (error) {
    broken = error as Error;
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
      throw new IsotypError(
        'ISOTYP_CONFLICT',
        `A maintenance run has held the control plane's database for over ${Math.round(waitMs / 1000)} s.`,
        {
          hint: `Let the isotyp server command it runs finish, then start again; if none runs, end the session named ${MAINTENANCE} in pg_stat_activity.`,
        },
      );
    }
    throw error;
  } finally {
    // A client whose transaction failed is discarded, not returned to the pool half-open.
    client.release(broken);
  }
}

/** SQLSTATE lock_not_available: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * What a control plane's connections are called (application_name), so that a store opened
 * `alone` can see whether any other is connected; maintenance connections carry the other name.
 */
const SERVING = 'isotyp-control-plane';
const MAINTENANCE = 'isotyp-maintenance';

/**
 * A Store on PostgreSQL. Any number of replicas may share the database: every check-and-write
 * is one statement or one transaction, and migrations and audit appends take advisory locks.
 *
 * @example
 * const store = await openPostgresStore('postgres://isotyp@db/isotyp', { max: 20 });
 * await store.migrate();
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  // UTC sessions: timestamptz comes back as `…+00`, which schema.ts turns into an ISO string.
  const application_name = options.alone ? MAINTENANCE : SERVING;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    options: '-c TimeZone=UTC',
    application_name,
  });
  // An idle connection dropped by the server must not crash the process; the next query that
  // needs one fails instead, and is reported as ISOTYP_UNAVAILABLE.
  pool.on('error', () => {});
  let held: pg.PoolClient | undefined;
  try {
    await pool.query('SELECT 1');
    if (options.alone) {
      held = await holdAlone(pool);
    } else {
      await waitForMaintenance(pool, options.maintenanceWaitMs ?? MAINTENANCE_WAIT_MS);
    }
  } catch (error) {
    held?.release(true);
    await pool.end().catch(() => {});
    throw isIsotypError(error) ? error : connectFailure(error, redactUrl(url));
  }
  const follower = new WriteFollower(url, application_name);
  await follower.start();
  return createStore(postgresDriver(pool, drizzle({ client: pool }), follower, held));
}

/**
 * Takes the maintenance lock, then makes sure no control plane is connected: one that connects
 * later waits on the lock at its start (see openPostgresStore), one connected before is counted.
 * The lock lives as long as the returned connection.
 */
async function holdAlone(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ taken: boolean }>(
      `SELECT pg_try_advisory_lock(${MAINTENANCE_LOCK}) AS taken`,
    );
    if (rows[0]?.taken !== true) throw inUse('another maintenance run holds it');
    const others = await serving(pool);
    if (others > 0) throw inUse(`${others} connection${others === 1 ? '' : 's'} named ${SERVING}`);
    return client;
  } catch (error) {
    // Destroyed, not returned to the pool: the session and its lock end with it.
    client.release(true);
    throw error;
  }
}

/** How many connections to this database are a control plane's (visible to any role). */
async function serving(pool: pg.Pool): Promise<number> {
  const answer = await pool.query<{ others: number }>(
    'SELECT count(*)::int AS others FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
    [SERVING],
  );
  return answer.rows[0]?.others ?? 0;
}

/** The channel the tables' triggers notify (drizzle/postgres/0003_store_change_notifications.sql). */
const CHANNEL = 'isotyp_store_changed';
/** Waits between attempts to listen again after the connection is lost. */
const RELISTEN_MS = [100, 500, 1000, 5000];

/**
 * Follows other replicas' writes for `Store.stamp`, on a connection of its own (a pooled one
 * would lose the LISTEN when handed back): every notification counts one write to its table.
 * While the connection is down nothing can be followed, so `count` answers undefined and no
 * cache is trusted; each new connection starts a new epoch, so what was read before the gap is
 * never trusted again either.
 */
class WriteFollower {
  readonly #url: string;
  readonly #name: string;
  readonly #counts = new Map<string, number>();
  #client: pg.Client | undefined;
  #epoch = 0;
  #attempt = 0;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  /** The connection's application_name (see SERVING). */
  constructor(url: string, name: string) {
    this.#url = url;
    this.#name = name;
  }

  /** The epoch and each table's count of notifications, or undefined while not listening. */
  stamp(tables: readonly string[]): string | undefined {
    if (this.#client === undefined) return undefined;
    let text = String(this.#epoch);
    for (const table of tables) text += `:${this.#counts.get(table) ?? 0}`;
    return text;
  }

  /** Listens; never throws (a store without a follower still works, only uncached). */
  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: this.#name });
    let gone = false;
    const lost = () => {
      // 'error' and 'end' both come for one loss: one retry for it.
      if (gone) return;
      gone = true;
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      this.#schedule();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      const table = message.payload ?? '';
      this.#counts.set(table, (this.#counts.get(table) ?? 0) + 1);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch {
      lost();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#epoch++;
    this.#attempt = 0;
    this.#client = client;
  }

  #schedule(): void {
    if (this.#closed || this.#retry !== undefined) return;
    const wait = RELISTEN_MS[Math.min(this.#attempt++, RELISTEN_MS.length - 1)];
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.start();
    }, wait);
    this.#retry.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}

function postgresDriver(
  pool: pg.Pool,
  db: NodePgDatabase,
  follower: WriteFollower,
  held: pg.PoolClient | undefined,
): Driver {
  const sqlNames = new Map<string, string>(Object.entries(tables).map(([name, table]) => [name, getTableName(table)]));
  // The transaction `atomically` opened on this async path, while it is open: a timer or promise
  // started inside it that outlives it goes back to the pool instead of a finished transaction.
  const open = new TransactionScope<{ tx: NodePgDatabase; done: boolean; queue: Promise<unknown> }>();
  const current = (): NodePgDatabase => open.current()?.tx ?? db;
  // A transaction is one connection, which runs one statement at a time: statements a handler
  // starts together (Promise.all) take turns here rather than pile onto the client, which pg 8
  // only tolerates (with a deprecation warning) and pg 9 refuses.
  const inTurn =
    <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const transaction = open.current();
      if (transaction === undefined) return work(...args);
      const result = transaction.queue.then(() => work(...args));
      transaction.queue = result.catch(() => {});
      return result;
    };
  return {
    dialect: 'postgres',
    tables,
    run: wrapRunner(postgresRunner(current), inTurn),
    // READ COMMITTED, like every single statement here: checks that must not race are one
    // conditional statement (UPDATE … WHERE state IN …) or a lock, inside as outside. Two
    // transactions that lock in opposite orders are ended by PostgreSQL's deadlock detector;
    // the loser fails as ISOTYP_UNAVAILABLE with nothing of it committed, and may be retried.
    async atomically(work) {
      if (open.current() !== undefined) return work();
      return db.transaction(async (tx) => {
        const transaction = {
          tx: tx as unknown as NodePgDatabase,
          done: false,
          queue: Promise.resolve() as Promise<unknown>,
        };
        try {
          return await open.run(transaction, work);
        } finally {
          transaction.done = true;
        }
      });
    },
    foreignWrites: (names) => follower.stamp(names.map((name) => sqlNames.get(name) ?? name)),
    async migrate() {
      // A session lock needs one connection throughout, so the migrator runs on this client.
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(`SELECT pg_advisory_lock(${MIGRATE_LOCK})`);
        try {
          await migrate(drizzle({ client }), { migrationsFolder });
        } finally {
          await client.query(`SELECT pg_advisory_unlock(${MIGRATE_LOCK})`);
        }
      } catch (error) {
        broken = error as Error;
        throw error;
      } finally {
        // A client that failed half-way is discarded, which also drops any lock it still holds.
        client.release(broken);
      }
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await follower.close();
      // The maintenance lock's connection: destroyed, so the lock goes with it.
      held?.release(true);
      if (!pool.ended) await pool.end();
    },
    recordVersion: inTurn((version) =>
      current().transaction(async (tx) => {
        const updated = await tx
          .update(targets)
          .set({ version: version.version, digest: version.digest, updatedAt: version.createdAt })
          .where(and(eq(targets.orgId, version.orgId), eq(targets.id, version.targetId)));
        if (updated.rowCount === 0) return false;
        await tx.insert(schemaVersions).values(version);
        return true;
      }),
    ),
    appendAudit: inTurn((build) =>
      current().transaction(async (tx) => {
        // Held until commit — of the enclosing transaction, inside `atomically`: replicas take
        // seqs one after another, never the same one twice, and a seq is visible only once every
        // smaller one is (what events/ relies on to read the log as an ordered outbox).
        await tx.execute(sql.raw(`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`));
        const [last] = await tx
          .select({ seq: auditEntries.seq })
          .from(auditEntries)
          .orderBy(desc(auditEntries.seq))
          .limit(1);
        const entry = auditEntryAt(build, last === undefined ? 0 : last.seq + 1);
        await tx.insert(auditEntries).values(entry);
        return entry;
      }),
    ),
    toError: (error) => failureToError(classify(error), error),
  };
}
