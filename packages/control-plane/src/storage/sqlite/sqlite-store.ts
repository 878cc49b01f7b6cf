import { fileURLToPath } from 'node:url';
import { IsotypError } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { and, desc, eq } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createStore } from '../core/create-store.js';
import { type Driver, type Runner, wrapRunner } from '../core/driver.js';
import { driverError, type Failure, failureToError, inUse } from '../core/errors.js';
import { auditEntryAt } from '../core/records.js';
import { TransactionScope } from '../core/transaction-scope.js';
import type { OpenStoreOptions, Store } from '../store.js';
import { auditEntries, schemaVersions, targets } from './schema.js';
import { sqliteRunner, tables } from './sqlite-runner.js';

// src/storage/sqlite and dist/storage/sqlite both sit three levels under the package root.
const migrationsFolder = fileURLToPath(new URL('../../../drizzle/sqlite', import.meta.url));

/** How long a write waits for another process's write lock before failing as unavailable. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * A Store on a SQLite file (`:memory:` for a private in-memory database). Several processes may
 * open the same file: WAL lets readers run beside the writer, writers queue on busy_timeout.
 *
 * @example
 * const store = await openSqliteStore('./isotyp-cp.db');
 * await store.migrate();
 */
export async function openSqliteStore(path: string, options: OpenStoreOptions = {}): Promise<Store> {
  let sqlite: Database.Database;
  try {
    sqlite = new Database(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `Cannot open the SQLite database ${path}.`, {
      hint: 'Check that the directory exists and is writable by the control plane.',
      cause: error,
    });
  }
  if (options.alone) holdAlone(sqlite, path);
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return createStore(sqliteDriver(sqlite, drizzle({ client: reusingStatements(sqlite) })));
}

/**
 * Takes the file for this connection alone until it closes: in EXCLUSIVE locking mode the first
 * write transaction's lock is never given back, and it cannot be had while another connection
 * (every open one holds a shared lock in WAL mode) has the file open — which is the check.
 */
function holdAlone(sqlite: Database.Database, path: string): void {
  sqlite.pragma('locking_mode = EXCLUSIVE');
  // At once: waiting would only wait for a server that stays up.
  sqlite.pragma('busy_timeout = 0');
  try {
    sqlite.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    sqlite.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw inUse(path);
    throw error;
  }
}

/** Statements kept compiled, by SQL text; the queries are few and repeat on every request. */
const STATEMENT_CACHE = 500;

/**
 * The connection as drizzle sees it, with `prepare` answering a statement compiled earlier for the
 * same SQL: drizzle prepares on every execution, and compiling costs more than most of the
 * control plane's queries take to run. A statement comes back out of raw mode (drizzle switches
 * it on when it maps columns itself), as a freshly prepared one would be.
 */
function reusingStatements(sqlite: Database.Database): Database.Database {
  const statements = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    let statement = statements.get(source);
    if (statement === undefined) {
      statement = sqlite.prepare(source);
      if (statements.size >= STATEMENT_CACHE) statements.delete(statements.keys().next().value as string);
      statements.set(source, statement);
    }
    return statement.reader ? statement.raw(false) : statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * How long a reading of data_version is reused. Asking SQLite costs a few microseconds, twice a
 * request; reusing it for a millisecond means another process's write is seen by this one up
 * to a millisecond late (this process's own writes are counted exactly, see `Store.stamp`).
 */
const DATA_VERSION_REUSE_MS = 1;

function sqliteDriver(sqlite: Database.Database, db: BetterSQLite3Database): Driver {
  // Changes whenever another connection (another process on the same file) commits.
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  let version = '';
  let readAt = Number.NEGATIVE_INFINITY;
  const foreignWrites = (): string | undefined => {
    if (!sqlite.open) return undefined;
    const at = performance.now();
    if (at - readAt >= DATA_VERSION_REUSE_MS) {
      version = String(dataVersion.get());
      readAt = at;
    }
    return version;
  };
  const gate = transactionGate(sqlite);
  return {
    dialect: 'sqlite',
    tables,
    run: gate.guard(sqliteRunner(db)),
    foreignWrites,
    atomically: gate.atomically,
    async migrate() {
      try {
        migrate(db, { migrationsFolder });
      } catch {
        // drizzle reads the applied migrations before its BEGIN, so a second process migrating
        // the same file at that moment fails on tables that now exist; retried, it finds them
        // recorded and has nothing left to do. A real failure fails again and is reported.
        migrate(db, { migrationsFolder });
      }
    },
    async ping() {
      try {
        return sqlite.prepare('SELECT 1').get() !== undefined;
      } catch {
        return false;
      }
    },
    async close() {
      sqlite.close();
    },
    // better-sqlite3 transactions are synchronous (no await inside); IMMEDIATE takes the write
    // lock before the first read, so another process cannot read the same state in between.
    async recordVersion(version) {
      while (gate.waiting()) await gate.holder();
      return db.transaction(
        (tx) => {
          const updated = tx
            .update(targets)
            .set({ version: version.version, digest: version.digest, updatedAt: version.createdAt })
            .where(and(eq(targets.orgId, version.orgId), eq(targets.id, version.targetId)))
            .run();
          if (updated.changes === 0) return false;
          tx.insert(schemaVersions).values(version).run();
          return true;
        },
        { behavior: 'immediate' },
      );
    },
    async appendAudit(build) {
      while (gate.waiting()) await gate.holder();
      return db.transaction(
        (tx) => {
          const last = tx
            .select({ seq: auditEntries.seq })
            .from(auditEntries)
            .orderBy(desc(auditEntries.seq))
            .limit(1)
            .get();
          const entry = auditEntryAt(build, last === undefined ? 0 : last.seq + 1);
          tx.insert(auditEntries).values(entry).run();
          return entry;
        },
        { behavior: 'immediate' },
      );
    },
    toError: (error) => failureToError(classify(error), error),
  };
}

/**
 * Transactions over the one connection this process has: statements of any request would land
 * in whichever transaction is open on it, so while `atomically` holds one open across awaits,
 * every statement from outside it waits for the end (one transaction at a time, in arrival
 * order). Inside, better-sqlite3 turns the driver's own short transactions into savepoints.
 * BEGIN IMMEDIATE takes the file's write lock at once: another process writing the same file
 * waits on busy_timeout, as for a single statement.
 */
function transactionGate(sqlite: Database.Database) {
  const inside = new TransactionScope<{ done: boolean }>();
  let holder: Promise<void> | undefined;
  const mine = () => inside.current() !== undefined;
  // Callers loop `while (waiting()) await holder;` and then act in the same synchronous run: an
  // `await` between the check and the statement would let another waiter in first.
  const waiting = () => holder !== undefined && !mine();
  const atomically = async <T>(work: () => Promise<T>): Promise<T> => {
    if (mine()) return work();
    while (holder !== undefined) await holder;
    let release = () => {};
    holder = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = { done: false };
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await inside.run(transaction, work);
        sqlite.exec('COMMIT');
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      }
    } finally {
      transaction.done = true;
      holder = undefined;
      release();
    }
  };
  /** The runner, each call waiting its turn first. */
  const guard = (runner: Runner): Runner =>
    wrapRunner(runner, (method) => async (...args) => {
      while (waiting()) await holder;
      return method(...args);
    });
  return { atomically, waiting, holder: () => holder, guard };
}

/** better-sqlite3's extended result codes, sorted into the store's failure kinds. */
function classify(error: unknown): Failure {
  const cause = driverError(error);
  const code = cause?.code ?? '';
  // "UNIQUE constraint failed: users.org_id, users.email": column names only, no values.
  const constraint = cause?.message.match(/constraint failed: (.+)$/)?.[1];
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return { kind: 'unique', constraint };
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return { kind: 'foreign_key' };
  if (/^SQLITE_(CONSTRAINT_CHECK|CONSTRAINT_NOTNULL|MISMATCH|TOOBIG)/.test(code))
    return { kind: 'invalid_value', constraint };
  if (/^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT)/.test(code)) return { kind: 'unavailable' };
  // Thrown by better-sqlite3 itself after close().
  if (cause instanceof TypeError && /database connection is not open/.test(cause.message))
    return { kind: 'unavailable' };
  return { kind: 'other' };
}
