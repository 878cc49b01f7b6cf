import { type Digest, type Plan, planDigest, type SchemaModel } from '@isotyp/protocol';
import type { Change, RenameCandidate } from '../diff/changes.js';
import { type DiffOptions, diffSchemas } from '../diff/diff.js';
import { schemaDigest } from '../schema/schema-digest.js';
import type { DialectPlanner, PlanOptions } from './dialect-planner.js';
import { type SemverBump, semverBump } from './semver.js';

export interface PlanResult {
  plan: Plan;
  semver: SemverBump;
  /** Drop/add pairs that may be renames; pass a rename hint to keep their data. */
  renameCandidates: RenameCandidate[];
  /** What the differ found, for consumers such as lint (not part of the plan). */
  changes: Change[];
}

/**
 * Schema digests the caller already holds, e.g. the desired model's from the desired-state
 * cache (desired/cache.ts), which stores it with the model. Each must be exactly
 * `schemaDigest()` of the model it stands for; a missing one is computed.
 */
export interface KnownDigests {
  from?: Digest<'schema'>;
  to?: Digest<'schema'>;
}

/**
 * Diffs `from` (live) against `to` (desired) and plans the changes with the dialect's planner.
 * The plan digest covers the dialect, both schema digests and every operation. Digesting a
 * model of thousands of tables takes tens of milliseconds, so digests the caller already has
 * are taken from `known` instead of being computed again.
 *
 * @example
 * const { plan } = createPlan(live, desired, sqlitePlanner);
 */
export function createPlan(
  from: SchemaModel,
  to: SchemaModel,
  planner: DialectPlanner,
  options: PlanOptions & DiffOptions = {},
  known: KnownDigests = {},
): PlanResult {
  const diff = diffSchemas(from, to, options);
  const ops = planner.plan(diff.changes, { from, to, options });
  const fromDigest = known.from ?? schemaDigest(from);
  const toDigest = known.to ?? schemaDigest(to);
  const body = { v: 1 as const, dialect: to.dialect, fromDigest, toDigest, ops };
  return {
    plan: { ...body, planDigest: planDigest(body) },
    semver: semverBump(ops, diff.changes),
    renameCandidates: diff.renameCandidates,
    changes: diff.changes,
  };
}
