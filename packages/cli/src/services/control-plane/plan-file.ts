import { readFileSync } from 'node:fs';
import { verifyPlanFile } from '@isotyp/agent';
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
import { bumpOf, parsePlanFile } from '../plan-file.js';

/** A plan ready to submit: the verified plan, its lint findings when the file has them, its bump. */
export interface SubmittablePlan {
  plan: Plan;
  /** Absent only for a plan file written before plan files carried the findings. */
  lint: LintFinding[] | undefined;
  bump: SemverBump;
}

/** `isotyp plan --json` output: the plan's fields at the top level, plus semver and lint. */
const planOutputSchema = z.object({
  dialect: z.unknown(),
  fromDigest: z.unknown(),
  toDigest: z.unknown(),
  planDigest: z.unknown(),
  operations: z.array(z.unknown()),
  semver: semverBumpSchema,
  lint: z.array(lintFindingSchema.extend({ message: z.string().optional() })),
});

/**
 * Reads a plan for `isotyp submit`: the file `isotyp plan --out plan.json` writes (the plan with
 * its semver bump and wire-form lint findings), or the output of `isotyp plan --json > plan.json`.
 * Either way the plan digest is checked, so an edited plan is refused.
 *
 * @example
 * const { plan, lint, bump } = readSubmittablePlan('plan.json');
 */
export function readSubmittablePlan(path: string): SubmittablePlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new IsotypError('ISOTYP_FILE_NOT_FOUND', `The plan file ${path} cannot be read.`, {
      hint: 'Write one with isotyp plan --out plan.json.',
    });
  }
  const value = parseJson(text);
  const output = planOutputSchema.safeParse(value);
  if (output.success) {
    const { dialect, fromDigest, toDigest, planDigest, operations, semver, lint } = output.data;
    const plan = verifyPlanFile({ v: 1, dialect, fromDigest, toDigest, ops: operations, planDigest });
    return { plan, lint: lint.map(({ message: _local, ...finding }) => finding), bump: semver };
  }
  const file = parsePlanFile(value);
  return { plan: file.plan, lint: file.lint, bump: bumpOf(file) };
}
