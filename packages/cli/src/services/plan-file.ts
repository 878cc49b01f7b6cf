import { readFileSync, writeFileSync } from 'node:fs';
import { type LocalPlan, semverBump, verifyPlanFile, wireLint } from '@isotyp/agent';
import {
  IsotypError,
  type LintFinding,
  lintFindingSchema,
  type Plan,
  parseJson,
  type SemverBump,
  semverBumpSchema,
} from '@isotyp/protocol';
import { z } from 'zod';

/**
 * What `isotyp plan --out plan.json` writes: the plan's own fields (v, dialect, digests, ops,
 * planDigest) at the top level, next to the two facts `isotyp submit` needs and cannot
 * recompute from the plan alone — the semver bump (which also weighs the diff, e.g. a new
 * NOT NULL column) and the lint findings in wire form (rule, severity, object; the local
 * sentence stays out). The extras sit beside the plan, not inside it: `planDigest` covers the
 * plan fields only and is unchanged, and a plan file written before the extras existed still
 * reads.
 */
export interface PlanFile {
  plan: Plan;
  /** Absent in a file written before plan files carried it. */
  semver: SemverBump | undefined;
  /** Absent in a file written before plan files carried them. */
  lint: LintFinding[] | undefined;
}

const extrasSchema = z.object({
  semver: semverBumpSchema.optional(),
  lint: z.array(lintFindingSchema).optional(),
});

/**
 * Writes the plan file for `isotyp apply --plan` and `isotyp submit --plan`.
 *
 * @example
 * writePlanFile('plan.json', await planTarget(target, { schema: 'schema.sql' }));
 */
export function writePlanFile(path: string, result: Pick<LocalPlan, 'plan' | 'semver' | 'lint'>): void {
  // 'full' keeps each finding's object: the file already holds the DDL. Submit filters again by
  // the environment's privacy mode before anything leaves.
  const file = { ...result.plan, semver: result.semver, lint: wireLint(result.lint, 'full') };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

/**
 * Reads and verifies a plan file: the plan's digest must match its content, so an edited plan is
 * refused (ISOTYP_DIGEST_MISMATCH).
 *
 * @example
 * const { plan, semver, lint } = readPlanFile('plan.json');
 */
export function readPlanFile(path: string): PlanFile {
  return parsePlanFile(parseJson(readText(path)));
}

/** A parsed plan file (see {@link readPlanFile}). */
export function parsePlanFile(value: unknown): PlanFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bare(verifyPlanFile(value));
  const { semver, lint, ...plan } = value as Record<string, unknown>;
  const extras = extrasSchema.safeParse({ semver, lint });
  if (!extras.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The plan file is not a valid Isotyp plan.', {
      hint: 'Create plans with isotyp plan --out plan.json.',
      details: { issues: extras.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return { plan: verifyPlanFile(plan), semver: extras.data.semver, lint: extras.data.lint };
}

/** The bump a file carries, else the one the plan's operations alone imply. */
export function bumpOf(file: PlanFile): SemverBump {
  return file.semver ?? semverBump(file.plan.ops);
}

function bare(plan: Plan): PlanFile {
  return { plan, semver: undefined, lint: undefined };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The plan file ${path} cannot be read.`, {
      hint: 'Write one with isotyp plan --out plan.json.',
    });
  }
}
