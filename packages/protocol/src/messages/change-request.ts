import { z } from 'zod';
import { type Digest, digest, digestSchema } from '../digest.js';
import { keyIdSchema } from '../signature.js';
import { idSchema, semverSchema, timestampSchema } from './common.js';
import { objectRefSchema, riskSchema } from './plan.js';

/** What an environment lets cross the wire about a change. */
export const privacyModeSchema = z.enum(['digest', 'structure', 'full']);
export type PrivacyMode = z.infer<typeof privacyModeSchema>;

export const changeStates = [
  'draft',
  'submitted',
  'in_review',
  'approved',
  'rejected',
  'applying',
  'applied',
  'failed',
  'rolled_back',
  'expired',
  'superseded',
] as const;
export const changeStateSchema = z.enum(changeStates);
export type ChangeState = z.infer<typeof changeStateSchema>;

export const semverBumpSchema = z.enum(['major', 'minor', 'patch', 'none']);

/**
 * Applies a bump to a MAJOR.MINOR.PATCH version: the one rule the agent (history rows) and the
 * control plane (change requests, target versions) both follow.
 *
 * @example
 * bumpVersion('1.4.2', 'minor') // '1.5.0'
 */
export function bumpVersion(version: string, bump: z.infer<typeof semverBumpSchema>): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  switch (bump) {
    case 'major':
      return `${major + 1}.0.0`;
    case 'minor':
      return `${major}.${minor + 1}.0`;
    case 'patch':
      return `${major}.${minor}.${patch + 1}`;
    case 'none':
      return version;
    default: {
      const never: never = bump;
      return never;
    }
  }
}

export const lintFindingSchema = z.strictObject({
  /** Stable rule id, e.g. `destructive/drop-column`. */
  rule: z.string().regex(/^[a-z]+(?:[-/][a-z0-9]+)*$/),
  severity: z.enum(['error', 'warning', 'info']),
  /** Present only when the privacy mode allows object names. */
  object: objectRefSchema.optional(),
});
export type LintFinding = z.infer<typeof lintFindingSchema>;

/**
 * The privacy-filtered summary of a plan the control plane sees. In `digest` mode it holds
 * counts and classes only; `structure` adds object names; `full` adds the DDL.
 */
export const manifestSchema = z.strictObject({
  mode: privacyModeSchema,
  opCount: z.number().int().nonnegative(),
  actions: z.record(z.string(), z.number().int().nonnegative()),
  risk: riskSchema,
  dataLoss: z.boolean(),
  nonTransactional: z.boolean(),
  objects: z.array(objectRefSchema.extend({ action: z.string() })).optional(),
  ddl: z.array(z.string()).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const changeRequestSchema = z.strictObject({
  id: idSchema,
  project: idSchema,
  environment: idSchema,
  target: idSchema,
  fromDigest: digestSchema,
  toDigest: digestSchema,
  planDigest: digestSchema,
  manifestDigest: digestSchema,
  fromVersion: semverSchema,
  toVersion: semverSchema,
  bump: semverBumpSchema,
  manifest: manifestSchema,
  lint: z.array(lintFindingSchema),
  author: keyIdSchema,
  title: z.string().max(200),
  state: changeStateSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type ChangeRequest = z.infer<typeof changeRequestSchema>;

export const CHANGE_SUBMISSION_ENVELOPE_TYPE = 'isotyp.change-submission';

/** Payload of the `isotyp.change-submission` envelope the author signs on submit. */
export const changeSubmissionSchema = z.strictObject({
  project: idSchema,
  environment: idSchema,
  target: idSchema,
  fromDigest: digestSchema,
  toDigest: digestSchema,
  planDigest: digestSchema,
  manifestDigest: digestSchema,
  bump: semverBumpSchema,
  title: z.string().max(200),
});
export type ChangeSubmission = z.infer<typeof changeSubmissionSchema>;

/**
 * The digest an author signs over what describes the change to reviewers: the privacy-filtered
 * manifest and the lint findings together, so neither can be edited on the way (lint rule ids
 * feed policy conditions).
 *
 * @example
 * const manifestDigest = changeManifestDigest(manifest, lint);
 */
export function changeManifestDigest(manifest: Manifest, lint: readonly LintFinding[]): Digest<'manifest'> {
  return digest('manifest', { manifest, lint });
}
