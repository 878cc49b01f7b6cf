import { type Digest, IsotypError } from '@isotyp/protocol';
import { schemaDigest } from '../schema/schema-digest.js';
import { assertLiveDigest } from './apply.js';
import type { ChangeRunner, TargetSession } from './session.js';
import { resumeAt, runUnits, unitsFor } from './steps.js';

export interface RollbackResult {
  historyId: number;
  reverted: number;
  planDigest: Digest<'plan'>;
  /** The schema digest after the rollback: the reverted plan's fromDigest unless forced past irreversible steps. */
  toDigest: Digest<'schema'>;
  toVersion: string;
  /** Operations that had no down statements and were left as they are (only with force). */
  skipped: { action: string; object: string; reason: string }[];
}

/**
 * Rolls back the latest applied change with the down statements recorded when it was applied,
 * under the same lock and in one transaction (except non-transactional operations, which run
 * as recorded steps as in applyPlan, so an interrupted rollback resumes). Irreversible steps
 * (dropped tables or columns whose rows are gone) refuse the rollback unless `force`, and are
 * then listed as skipped.
 */
export async function rollbackLatest(runner: ChangeRunner, actor: string, force = false): Promise<RollbackResult> {
  const started = performance.now();
  return runner.withChange(async (session) => {
    const latest = await session.latestApplied();
    if (latest === undefined) {
      throw new IsotypError('ISOTYP_NOT_FOUND', 'No applied change to roll back on this target.', {
        hint: 'isotyp apply records changes; only those can be rolled back.',
      });
    }
    const irreversible = latest.plan.ops.filter((op) => op.down === null);
    const skipped = irreversible.map((op) => ({
      action: op.action,
      object: `${op.object.namespace ?? ''}${op.object.namespace ? '.' : ''}${op.object.name}`,
      reason: op.irreversibleReason ?? 'irreversible',
    }));
    if (skipped.length > 0 && !force) {
      throw new IsotypError('ISOTYP_IRREVERSIBLE', `The latest change cannot be fully undone: ${describe(skipped)}.`, {
        hint: 'Restore from a backup, or pass --force to undo the reversible steps only (the lost data stays lost).',
        details: { skipped },
      });
    }
    const key = { planDigest: latest.planDigest, direction: 'down' as const };
    const units = unitsFor(latest.plan.ops, 'down');
    const log = await session.steps(key);
    if (log.length === 0) await assertNotDrifted(session);
    await runUnits(session, key, units, await resumeAt(session, log, units));
    const model =
      skipped.length === 0
        ? await assertLiveDigest(session, latest.fromDigest, 'rollback')
        : await session.introspect();
    const toDigest = schemaDigest(model);
    const historyId = await session.record({
      direction: 'down',
      planDigest: latest.planDigest,
      fromDigest: latest.toDigest,
      toDigest,
      fromVersion: latest.toVersion,
      toVersion: latest.fromVersion,
      plan: latest.plan,
      model,
      revertsId: latest.id,
      actor,
      appliedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - started),
    });
    await session.markReverted(latest.id, historyId);
    return {
      historyId,
      reverted: latest.id,
      planDigest: latest.planDigest,
      toDigest,
      toVersion: latest.fromVersion,
      skipped,
    };
  });
}

/**
 * Refuses, before anything runs, to roll back a target that changed since Isotyp last left it:
 * the down statements were written for that state, and a non-transactional one cannot be
 * taken back if the result turns out wrong.
 */
async function assertNotDrifted(session: TargetSession): Promise<void> {
  const expected = (await session.latest())?.toDigest;
  const live = schemaDigest(await session.introspect());
  if (expected === undefined || live === expected) return;
  throw new IsotypError('ISOTYP_DRIFT_DETECTED', 'The target changed since the last apply; not rolling back.', {
    hint: 'See what changed with isotyp drift; undo it (or re-plan from the live schema) first.',
    details: { expected, live },
  });
}

function describe(skipped: RollbackResult['skipped']): string {
  return skipped.map((s) => `${s.action} ${s.object} (${s.reason})`).join('; ');
}
