import { IsotypError, isIsotypError } from '@isotyp/protocol';
import type pg from 'pg';
import { isConnectionLoss, sqlStateOf } from './client.js';

/*
 * Running a plan's statements on PostgreSQL and saying precisely what went wrong: the statement's
 * number in the plan, the server's message and SQLSTATE — never the server's DETAIL, which can
 * quote row values (a duplicate key), and never the connection string.
 */

/** Runs statements one by one; `offset` is how many of the plan's statements came before. */
export async function runStatements(
  client: pg.ClientBase,
  statements: readonly string[],
  offset: number,
  committed: boolean,
): Promise<void> {
  for (const [i, sql] of statements.entries()) {
    try {
      await client.query(sql);
    } catch (error) {
      throw statementError(error, offset + i + 1, committed);
    }
  }
}

/**
 * The error for statement `number` (1-based). `committed` says whether earlier parts of the run
 * are already committed (non-transactional steps), which changes what the user should do next.
 */
export function statementError(error: unknown, number: number, committed: boolean): IsotypError {
  if (isConnectionLoss(error)) return connectionLost(error);
  const sqlState = sqlStateOf(error);
  const message = (error as Error).message;
  if (sqlState === LOCK_NOT_AVAILABLE) {
    return new IsotypError('ISOTYP_LOCK_TIMEOUT', `Statement ${number} could not lock its table in time: ${message}.`, {
      hint: committed
        ? `Another transaction holds a lock on the table. ${RESUME_HINT}`
        : 'Another transaction holds a lock on the table; nothing was changed. Retry when it has finished.',
      details: { statement: number, sqlState, committed },
      cause: error,
    });
  }
  return new IsotypError(
    'ISOTYP_APPLY_FAILED',
    `Statement ${number} failed: ${message} (SQLSTATE ${sqlState ?? 'none'}).`,
    {
      hint: committed ? RESUME_HINT : 'Nothing was changed: the transaction was rolled back.',
      details: { statement: number, sqlState, committed },
      cause: error,
    },
  );
}

/** SQLSTATE lock_not_available: lock_timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

const RESUME_HINT =
  'The steps before it are committed and recorded in isotyp.steps: fix the cause, then run the same apply or rollback again to resume.';

/** Any other failure during a change, wrapped at the boundary so callers only see IsotypErrors. */
export function changeFailure(error: unknown, committed: boolean): IsotypError {
  if (isIsotypError(error)) return error;
  if (isConnectionLoss(error)) return connectionLost(error);
  const sqlState = sqlStateOf(error);
  return new IsotypError(
    'ISOTYP_APPLY_FAILED',
    `The change failed: ${(error as Error).message} (SQLSTATE ${sqlState ?? 'none'}).`,
    {
      hint: committed ? RESUME_HINT : 'Nothing was changed: the transaction was rolled back.',
      details: { sqlState, committed },
      cause: error,
    },
  );
}

/** A failure while reading the target without the lock (drift, status). */
export function readFailure(error: unknown): IsotypError {
  if (isIsotypError(error)) return error;
  if (isConnectionLoss(error)) {
    return new IsotypError('ISOTYP_TARGET_UNREACHABLE', 'The connection to the database was lost while reading it.', {
      hint: 'Check that the server is up and retry.',
      details: { sqlState: sqlStateOf(error) },
      cause: error,
    });
  }
  const sqlState = sqlStateOf(error);
  return new IsotypError(
    'ISOTYP_INTERNAL',
    `Reading Isotyp's history in the target failed: ${(error as Error).message} (SQLSTATE ${sqlState ?? 'none'}).`,
    {
      hint: 'Check that this role may read the isotyp schema (USAGE on it, SELECT on its tables).',
      details: { sqlState },
      cause: error,
    },
  );
}

function connectionLost(error: unknown): IsotypError {
  return new IsotypError('ISOTYP_TARGET_UNREACHABLE', 'The connection to the database was lost during the change.', {
    // Whether a COMMIT in flight landed cannot be known here; the next run finds out.
    hint: 'Re-run the same command: it reports a change already applied (ISOTYP_CONFLICT), resumes an interrupted one, or applies it.',
    details: { sqlState: sqlStateOf(error) },
    cause: error,
  });
}

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const LEADING_COMMENTS = String.raw`^(?:\s+|--[^\n]*\n|/\*[\s\S]*?\*/)*`;
const CREATE_CONCURRENTLY = new RegExp(
  String.raw`${LEADING_COMMENTS}CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s+ON\s+(?:ONLY\s+)?(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);

/** The index a `CREATE INDEX CONCURRENTLY` statement builds and the table it is on, as written. */
export function concurrentIndexOf(sql: string): { index: string; table: string } | undefined {
  const match = CREATE_CONCURRENTLY.exec(sql);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { index: match[1], table: match[2] };
}

/**
 * Drops, with DROP INDEX CONCURRENTLY IF EXISTS, each index these statements build concurrently:
 * a build cut short or failed leaves it INVALID — still maintained on every write, never used
 * to read — and it must go before the build can run again. An index is created in its table's
 * schema, read from the catalogue. Must run outside a transaction.
 */
export async function dropConcurrentIndexes(client: pg.ClientBase, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    const built = concurrentIndexOf(sql);
    if (built === undefined) continue;
    const { rows } = await client.query<{ schema: string }>(
      `SELECT quote_ident(n.nspname) AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = to_regclass($1)`,
      [built.table],
    );
    const schema = rows[0]?.schema;
    // No table, no index: the step never got as far as building it.
    if (schema !== undefined) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${schema}.${built.index}`);
  }
}

export function buildsConcurrentIndex(statements: readonly string[]): boolean {
  return statements.some((sql) => concurrentIndexOf(sql) !== undefined);
}
