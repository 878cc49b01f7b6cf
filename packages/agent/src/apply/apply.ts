import { type Digest, IsotypError, type Plan, planDigest, planSchema, type SchemaModel } from '@isotyp/protocol';
import { bumpVersion, semverBump } from '../plan/semver.js';
import { schemaDigest } from '../schema/schema-digest.js';
import type { ChangeRunner, TargetSession } from './session.js';
import { resumeAt, runUnits, unitsFor } from './steps.js';

export interface ApplyResult {
  historyId: number;
  planDigest: Digest<'plan'>;
  fromDigest: Digest<'schema'>;
  toDigest: Digest<'schema'>;
  fromVersion: string;
  toVersion: string;
  /** Statements run by this call (fewer than the plan has when it resumed an interrupted run). */
  statements: number;
  durationMs: number;
}

/**
 * Checks a plan read from a file before anything touches the target: it must match the plan
 * schema and its digest must cover exactly its content, so an edited plan is refused.
 */
export function verifyPlanFile(value: unknown): Plan {
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The plan file is not a valid Isotyp plan.', {
      hint: 'Create plans with isotyp plan --out plan.json.',
      details: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  const plan = parsed.data;
  const actual = planDigest(plan);
  if (actual !== plan.planDigest) {
    throw new IsotypError(
      'ISOTYP_DIGEST_MISMATCH',
      'The plan was edited after it was made: its digest does not match.',
      {
        hint: 'Re-run isotyp plan; never edit plan files by hand.',
        details: { declared: plan.planDigest, actual },
      },
    );
  }
  return plan;
}

/**
 * Applies a plan under the target's lock: refuses unless the live digest is the plan's
 * fromDigest, runs the statements, checks the result is exactly toDigest, and records the
 * change in the target's history — all or nothing, in one transaction. The exception is an
 * operation that cannot run in a transaction (`transactional: false`): it runs as a recorded
 * step after what precedes it commits, and a run cut short resumes when the same plan is
 * applied again (see steps.ts).
 */
/** The steps of an apply, in order, for a progress display. */
export const APPLY_PHASES = [
  'taking the lock',
  'checking the live schema',
  'running the statements',
  'checking the result',
  'recording the change',
] as const;
export type ApplyPhase = (typeof APPLY_PHASES)[number];

export interface ApplyOptions {
  /** Told each step as it starts (a terminal shows a progress bar; nothing else depends on it). */
  onPhase?: (phase: ApplyPhase, index: number, total: number) => void;
}

export async function applyPlan(
  runner: ChangeRunner,
  plan: Plan,
  actor: string,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const phase = (name: ApplyPhase) => options.onPhase?.(name, APPLY_PHASES.indexOf(name), APPLY_PHASES.length);
  if (plan.dialect !== runner.dialect) {
    throw new IsotypError(
      'ISOTYP_TARGET_INVALID',
      `This plan is for ${plan.dialect}, the target is ${runner.dialect}.`,
      {
        hint: 'Plan against the database you apply to.',
      },
    );
  }
  const started = performance.now();
  phase('taking the lock');
  return runner.withChange(async (session) => {
    const key = { planDigest: plan.planDigest as Digest<'plan'>, direction: 'up' as const };
    const units = unitsFor(plan.ops, 'up');
    phase('checking the live schema');
    // A step log means an earlier run of this plan committed part of it: resume, don't refuse.
    const log = await session.steps(key);
    if (log.length === 0) await assertFromDigest(session, plan);
    phase('running the statements');
    const statements = await runUnits(session, key, units, await resumeAt(session, log, units));
    phase('checking the result');
    const model = await assertLiveDigest(session, plan.toDigest, 'apply');
    const previous = await session.latest();
    const fromVersion = previous?.toVersion ?? '0.0.0';
    const toVersion = bumpVersion(fromVersion, semverBump(plan.ops));
    const durationMs = Math.round(performance.now() - started);
    phase('recording the change');
    // The plan's digests were verified (planDigest) and checked against the live schema above.
    const digests = {
      planDigest: plan.planDigest as Digest<'plan'>,
      fromDigest: plan.fromDigest as Digest<'schema'>,
      toDigest: plan.toDigest as Digest<'schema'>,
    };
    const historyId = await session.record({
      direction: 'up',
      ...digests,
      fromVersion,
      toVersion,
      plan,
      model,
      revertsId: null,
      actor,
      appliedAt: new Date().toISOString(),
      durationMs,
    });
    return {
      historyId,
      ...digests,
      fromVersion,
      toVersion,
      statements,
      durationMs,
    };
  });
}

/** Refuses, before anything runs, a plan made from another schema — or one already applied. */
async function assertFromDigest(session: TargetSession, plan: Plan): Promise<void> {
  const live = schemaDigest(await session.introspect());
  if (live === plan.fromDigest) return;
  const already = live === plan.toDigest && (await session.latestApplied())?.planDigest === plan.planDigest;
  throw new IsotypError(
    already ? 'ISOTYP_CONFLICT' : 'ISOTYP_DIGEST_MISMATCH',
    already
      ? 'This plan has already been applied to the target.'
      : 'The target schema is not the one this plan was made from.',
    {
      hint: already
        ? 'Nothing to do.'
        : 'The database changed since planning (or the plan is for another database): re-plan.',
      details: { expected: plan.fromDigest, live },
    },
  );
}

export async function assertLiveDigest(
  session: { introspect(): Promise<SchemaModel> },
  expected: string,
  what: 'apply' | 'rollback',
): Promise<SchemaModel> {
  const model = await session.introspect();
  const after = schemaDigest(model);
  if (after !== expected) {
    throw new IsotypError(
      'ISOTYP_APPLY_FAILED',
      `After the ${what} the schema is not the planned one; its transaction was rolled back.`,
      {
        hint: 'This is a planner bug for this schema; please report it with the plan file.',
        details: { expected, actual: after },
      },
    );
  }
  return model;
}
