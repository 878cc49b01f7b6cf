import { IsotypError, type PlanOperation } from '@isotyp/protocol';
import { schemaDigest } from '../schema/schema-digest.js';
import type { StepKey, StepRecord, TargetSession } from './session.js';

/*
 * How a run (an apply, or a rollback) executes its operations. Operations that can run in a
 * transaction run in the change's transaction; one that cannot (PostgreSQL's CREATE INDEX
 * CONCURRENTLY) commits what came before, runs on its own and is recorded in the target's step
 * log, so that a run cut short — crash, lost connection, failing build — resumes on the next
 * run of the same plan instead of starting over on a half-changed database. A plan whose
 * operations are all transactional (every SQLite plan) runs in exactly one transaction.
 */

/** One operation as a run executes it. */
export interface Unit {
  statements: readonly string[];
  transactional: boolean;
}

/** The units of a run: the plan's up statements in order, or its down statements in reverse. */
export function unitsFor(ops: readonly PlanOperation[], direction: StepKey['direction']): Unit[] {
  return direction === 'up'
    ? ops.map((op) => ({ statements: op.up, transactional: op.transactional }))
    : [...ops].reverse().map((op) => ({ statements: op.down ?? [], transactional: op.transactional }));
}

/**
 * Where a run starts: at 0 when the step log is empty, else after the last step done, or at
 * the step that was cut short once the session has cleared what it left. Either way the live
 * schema must be the one the log recorded: if anything changed it while the run was stopped,
 * continuing would apply the plan to a schema nobody planned for.
 */
export async function resumeAt(session: TargetSession, log: readonly StepRecord[], units: Unit[]): Promise<number> {
  const last = log.at(-1);
  if (last === undefined) return 0;
  if (last.status === 'started') await session.prepareRetry(units[last.opIndex]?.statements ?? []);
  const live = schemaDigest(await session.introspect());
  if (live !== last.digest) {
    throw new IsotypError(
      'ISOTYP_DIGEST_MISMATCH',
      `An interrupted run of this plan stopped at operation ${last.opIndex + 1}, and the schema has changed since.`,
      {
        hint: 'Something else altered the database meanwhile: compare it with isotyp drift and finish the change by hand.',
        details: { opIndex: last.opIndex, status: last.status, expected: last.digest, live },
      },
    );
  }
  return last.status === 'started' ? last.opIndex : last.opIndex + 1;
}

/**
 * Runs units[startAt…] in order: consecutive transactional units together in the change's
 * transaction, each non-transactional one as a recorded step outside it. Returns the number of
 * statements run.
 */
export async function runUnits(session: TargetSession, key: StepKey, units: Unit[], startAt: number): Promise<number> {
  let offset = units.slice(0, startAt).reduce((n, unit) => n + unit.statements.length, 0);
  const first = offset;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length > 0) await session.run(batch, offset - batch.length);
    batch = [];
  };
  for (const [opIndex, unit] of units.entries()) {
    if (opIndex < startAt || unit.statements.length === 0) continue;
    if (unit.transactional) {
      batch.push(...unit.statements);
    } else {
      await flush();
      const digestBefore = schemaDigest(await session.introspect());
      await session.runOutsideTransaction(unit.statements, { ...key, opIndex, digestBefore, offset });
    }
    offset += unit.statements.length;
  }
  await flush();
  return offset - first;
}
