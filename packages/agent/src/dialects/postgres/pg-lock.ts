import { setTimeout as sleep } from 'node:timers/promises';
import { IsotypError } from '@isotyp/protocol';
import type pg from 'pg';

/*
 * The change lock of a PostgreSQL target: a session-level advisory lock, so it outlives the
 * COMMITs between a plan's transaction and its non-transactional steps, and the server drops it
 * by itself when the connection dies (a crashed applier never leaves the target locked).
 * Advisory locks are already per database; the key names the database anyway so that the lock
 * reads unambiguously in pg_locks.
 */

/** The two int4 keys: (classid, objid) in pg_locks, objsubid 2. */
const KEY = "hashtext('isotyp'), hashtext(current_database())";

/** Polling never waits longer than this between attempts, so a freed lock is seen quickly. */
const MAX_POLL_MS = 1_000;

export interface LockOptions {
  timeoutMs: number;
  /** First wait between attempts; doubles (with jitter) up to a second. */
  pollMs: number;
}

/**
 * Takes the change lock, polling with `pg_try_advisory_lock` (never a blocking wait, which would
 * leave a backend queued in the server for as long as the holder runs) until `timeoutMs`.
 * Returns the function that releases it.
 */
export async function acquireChangeLock(
  client: pg.ClientBase,
  options: LockOptions,
  display: string,
): Promise<() => Promise<void>> {
  const deadline = performance.now() + options.timeoutMs;
  let wait = Math.max(1, options.pollMs);
  for (;;) {
    const { rows } = await client.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${KEY}) AS got`);
    if (rows[0]?.got === true) return () => releaseChangeLock(client);
    const left = deadline - performance.now();
    if (left <= 0) throw await lockTimeout(client, options.timeoutMs, display);
    // Jitter keeps several waiters from retrying in lockstep.
    await sleep(Math.min(left, wait * (0.5 + Math.random() / 2)));
    wait = Math.min(wait * 2, MAX_POLL_MS);
  }
}

async function releaseChangeLock(client: pg.ClientBase): Promise<void> {
  // A connection that is already gone released the lock with it.
  await client.query(`SELECT pg_advisory_unlock(${KEY})`).catch(() => {});
}

/** Who holds the lock, for the error: a pid and an application name to look up, no secrets. */
async function lockTimeout(client: pg.ClientBase, timeoutMs: number, display: string): Promise<IsotypError> {
  const holder = await client
    .query<{ pid: number; application_name: string; since: Date | null }>(
      `SELECT a.pid, a.application_name, a.backend_start AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = hashtext('isotyp')::oid AND l.objid = hashtext(current_database())::oid
       LIMIT 1`,
    )
    .then((r) => r.rows[0])
    .catch(() => undefined);
  return new IsotypError(
    'ISOTYP_LOCK_TIMEOUT',
    `Another change holds the lock on ${display}; gave up after ${waited(timeoutMs)}.`,
    {
      hint: 'Retry when the other apply or rollback has finished (isotyp drift shows the outcome).',
      details: {
        target: display,
        timeoutMs,
        holderPid: holder?.pid ?? null,
        holderApplication: holder?.application_name ?? null,
      },
    },
  );
}

function waited(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
