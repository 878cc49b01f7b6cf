import { buildManifest, wireLint } from '@isotyp/agent';
import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  type ChangeState,
  type ChangeSubmission,
  changeManifestDigest,
  changeStateSchema,
  changeSubmissionSchema,
  IsotypError,
  type LintFinding,
  type Manifest,
  privacyModeSchema,
  riskSchema,
  sealEnvelope,
  semverBumpSchema,
} from '@isotyp/protocol';
import { z } from 'zod';
import { findTarget, resolveEnvironment, resolveProject, resolveTarget } from './catalog.js';
import type { ControlPlaneClient } from './client.js';
import { requireKey, type SecretStore } from './keystore.js';
import { readSubmittablePlan } from './plan-file.js';

export const layerStatusSchema = z.object({
  name: z.string(),
  role: z.string(),
  applies: z.boolean(),
  required: z.number(),
  approvedBy: z.array(z.string()),
  rejectedBy: z.array(z.string()),
  missing: z.number(),
  conditionError: z.string().optional(),
});
export type LayerStatus = z.infer<typeof layerStatusSchema>;

const reviewSchema = z.looseObject({
  status: z.enum(['approved', 'pending', 'rejected']),
  layers: z.array(layerStatusSchema),
});
export type Review = z.infer<typeof reviewSchema>;

/** A change request as the API shows it. Loose: fields a newer server adds are kept for --json. */
export const changeSchema = z.looseObject({
  id: z.string(),
  projectId: z.string(),
  environmentId: z.string(),
  targetId: z.string(),
  title: z.string(),
  state: changeStateSchema,
  fromDigest: z.string(),
  toDigest: z.string(),
  planDigest: z.string(),
  fromVersion: z.string(),
  toVersion: z.string(),
  bump: semverBumpSchema,
  manifest: z.looseObject({
    mode: privacyModeSchema,
    opCount: z.number(),
    actions: z.record(z.string(), z.number()),
    risk: riskSchema,
    dataLoss: z.boolean(),
  }),
  lint: z.array(z.unknown()),
  authorUserId: z.string(),
  authorKeyId: z.string(),
  policyVersion: z.number(),
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  approvals: z.array(z.unknown()).optional(),
  review: z.union([reviewSchema, z.looseObject({ error: z.string() })]).optional(),
});
export type Change = z.infer<typeof changeSchema>;

/** A change as the list shows it: no lint findings (their count instead), no submission. */
export const changeSummarySchema = changeSchema.omit({ lint: true }).extend({ lintCount: z.number() });
export type ChangeSummary = z.infer<typeof changeSummarySchema>;

export interface SubmitInput {
  planPath: string;
  env: string;
  project?: string | undefined;
  target?: string | undefined;
  title?: string | undefined;
  draft: boolean;
}

export interface SubmitResult {
  change: Change;
  /** False when the plan file held no lint findings (one an older isotyp wrote). */
  lintIncluded: boolean;
}

/**
 * Submits a plan as a change request: the manifest and lint findings filtered by the
 * environment's privacy mode, and the digests signed by the author's approver key. Neither the
 * DDL (unless the mode is `full`) nor the local lint messages leave this machine.
 *
 * @example
 * const { change } = await submitChange(client, secretStore(), { planPath: 'plan.json', env: 'prod', draft: false });
 */
export async function submitChange(
  client: ControlPlaneClient,
  store: SecretStore,
  input: SubmitInput,
): Promise<SubmitResult> {
  const { plan, lint, bump } = readSubmittablePlan(input.planPath);
  // Refused early (before the catalog is read) when there is no key to sign with.
  await requireKey(store, 'approver');
  const environment = await resolveEnvironment(client, input.env, input.project);
  const target = await resolveTarget(client, environment, input.target);
  if (target.dialect !== plan.dialect) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `The plan is for ${plan.dialect}; target ${target.name} is ${target.dialect}.`,
      {
        hint: 'Submit the plan to a target of the same dialect (--target).',
      },
    );
  }
  const manifest = buildManifest(plan, environment.privacyMode);
  // The signature covers exactly what is sent: the filtered manifest and the wire-form findings.
  const wiredLint = wireLint(lint ?? [], environment.privacyMode);
  const change = await signAndSubmit(client, store, {
    project: environment.projectId,
    environment: environment.id,
    target: target.id,
    fromDigest: plan.fromDigest,
    toDigest: plan.toDigest,
    planDigest: plan.planDigest,
    manifest,
    lint: wiredLint,
    bump,
    title: input.title ?? `${plan.ops.length} operation${plan.ops.length === 1 ? '' : 's'} on ${target.name}`,
    draft: input.draft,
  });
  return { change, lintIncluded: lint !== undefined };
}

/** What a change request is made of, already filtered for the environment's privacy mode. */
export interface PlannedChange {
  project: string;
  environment: string;
  target: string;
  fromDigest: string;
  toDigest: string;
  planDigest: string;
  manifest: Manifest;
  lint: LintFinding[];
  bump: ChangeSubmission['bump'];
  title: string;
  draft: boolean;
}

/**
 * Signs a planned change's digests with your approver key (`manifestDigest` binds the manifest and
 * findings that are sent) and submits it: `isotyp submit` does it for a plan file, `isotyp
 * suggestions submit` for a plan an agent drafted at the site.
 */
export async function signAndSubmit(
  client: ControlPlaneClient,
  store: SecretStore,
  planned: PlannedChange,
): Promise<Change> {
  const key = await requireKey(store, 'approver');
  const payload: ChangeSubmission = {
    project: planned.project,
    environment: planned.environment,
    target: planned.target,
    fromDigest: planned.fromDigest as ChangeSubmission['fromDigest'],
    toDigest: planned.toDigest as ChangeSubmission['toDigest'],
    planDigest: planned.planDigest as ChangeSubmission['planDigest'],
    manifestDigest: changeManifestDigest(planned.manifest, planned.lint),
    bump: planned.bump,
    title: planned.title,
  };
  const checked = changeSubmissionSchema.safeParse(payload);
  if (!checked.success) {
    throw new IsotypError('ISOTYP_USAGE', 'The submission is not valid.', {
      hint: 'Titles are at most 200 characters.',
      details: { issues: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  const submission = sealEnvelope({ type: CHANGE_SUBMISSION_ENVELOPE_TYPE, payload, secretKey: key.pair.secretKey });
  const body = {
    submission,
    manifest: planned.manifest,
    lint: planned.lint,
    ...(planned.draft ? { draft: true } : {}),
  };
  return client.post('/v1/changes', body, changeSchema);
}

export interface ListInput {
  states?: ChangeState[] | undefined;
  project?: string | undefined;
  env?: string | undefined;
  target?: string | undefined;
  limit?: number | undefined;
  before?: string | undefined;
}

/** Change requests, newest first; `--project`, `--env` and `--target` take ids or names. */
export async function listChanges(
  client: ControlPlaneClient,
  input: ListInput,
): Promise<{ changes: ChangeSummary[]; next?: string | undefined }> {
  let projectId: string | undefined;
  let environmentId: string | undefined;
  let targetId: string | undefined;
  if (input.env !== undefined) {
    const environment = await resolveEnvironment(client, input.env, input.project);
    [projectId, environmentId] = [environment.projectId, environment.id];
    if (input.target !== undefined) targetId = (await resolveTarget(client, environment, input.target)).id;
  } else {
    if (input.project !== undefined) projectId = (await resolveProject(client, input.project)).id;
    if (input.target !== undefined) targetId = (await findTarget(client, input.target, { projectId })).id;
  }
  return client.get('/v1/changes', z.object({ changes: z.array(changeSummarySchema), next: z.string().optional() }), {
    state: input.states,
    projectId,
    environmentId,
    targetId,
    limit: input.limit,
    before: input.before,
  });
}

/** The review of a change, or why the control plane could not evaluate it. */
export function readReview(change: Change): { review: Review } | { error: string } {
  const parsed = reviewSchema.safeParse(change.review);
  if (parsed.success) return { review: parsed.data };
  const error = (change.review as { error?: unknown } | undefined)?.error;
  return { error: typeof error === 'string' ? error : 'no review' };
}

/** One change with its approvals and where its review stands. */
export async function getChange(client: ControlPlaneClient, id: string): Promise<Change> {
  return client.get(`/v1/changes/${encodeURIComponent(id)}`, changeSchema);
}

/**
 * Ends a change left `applying` as `failed`, with the reason: the way out when its claim can no
 * longer be resumed (see docs/concepts/resilience.md). Needs `change:apply` in its environment;
 * the control plane refuses any other state with 409 ISOTYP_INVALID_STATE.
 *
 * @example
 * await failChange(client, 'chg_3q2Xv9Kd0aBcYz1M', 'claim lost; the target is still at fromDigest');
 */
export async function failChange(client: ControlPlaneClient, id: string, reason: string): Promise<Change> {
  return client.post(`/v1/changes/${encodeURIComponent(id)}/transitions`, { to: 'failed', reason }, changeSchema);
}
