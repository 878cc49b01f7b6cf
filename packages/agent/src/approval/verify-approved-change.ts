import {
  type ApprovalEvaluation,
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  changeFacts,
  changeSubmissionSchema,
  decodePublicKey,
  type EnvironmentFacts,
  evaluateApprovals,
  IsotypError,
  type KeyId,
  type Keyring,
  type LintFinding,
  ORG_ROOT_ENVELOPE_TYPE,
  openKeyring,
  openPolicy,
  orgRootSchema,
  type Plan,
  type Policy,
  privacyModeSchema,
  type SemverBump,
  verifyEnvelope,
} from '@isotyp/protocol';
import { z } from 'zod';
import { buildManifest } from '../plan/manifest.js';

/**
 * What the control plane says about a change: the change with its submission envelope and
 * approvals (`GET /v1/changes/{id}`), the org root, the latest keyring, the change's policy
 * version (`GET /v1/trust/{kind}`) and the environment. None of it is trusted: every part that
 * matters is checked against a signature, a pinned key or what the agent computed itself.
 */
export interface ApprovalEvidence {
  change: unknown;
  root: unknown;
  keyring: unknown;
  policy: unknown;
  environment: unknown;
}

/** What the agent knows on its own, and which no control plane can change. */
export interface LocalFacts {
  changeId: string;
  /** This agent's target, by its control-plane id: approvals must name exactly this one. */
  targetId: string;
  /** The name of the environment this agent serves, from its own configuration. */
  environment: string;
  /** The org root key id pinned at enrolment (or in the CI job's configuration). */
  rootKeyId: KeyId;
  /** Planned by this agent, now, against its live database and the desired schema. */
  plan: Plan;
  /** This agent's lint of that plan. */
  lint: readonly LintFinding[];
  bump: SemverBump;
  now: Date;
  /** The newest keyring version this agent has used before (0 for none): never go back. */
  keyringVersionSeen: number;
  /** True when an approval nonce was already used for another change this agent applied. */
  nonceUsedElsewhere(nonce: string): boolean;
}

export interface VerifiedChange {
  evaluation: ApprovalEvaluation;
  keyring: Keyring;
  policy: Policy;
  authorUserId: string;
  /** Nonces of the approvals that count: record them once the change is applied. */
  nonces: string[];
}

const changeClaimSchema = z
  .object({
    id: z.string(),
    targetId: z.string(),
    environmentId: z.string(),
    planDigest: z.string(),
    policyVersion: z.number().int().min(1),
    authorUserId: z.string(),
    submission: z.unknown(),
    approvals: z.array(z.unknown()).max(1000).default([]),
  })
  .loose();

const environmentClaimSchema = z
  .object({ id: z.string(), projectId: z.string(), name: z.string(), privacyMode: privacyModeSchema })
  .loose();

/**
 * Decides, on the agent's own authority, whether a change may be applied here — before any
 * statement runs. In order: the org root is the pinned one; the keyring and the change's policy
 * are signed by it, and the keyring is not older than one already used; the author is who their
 * signed submission (a keyring key) says; the plan the agent made against its live database is
 * the plan the approvals sign; the policy, evaluated on the manifest of that plan (not on the
 * control plane's copy), is satisfied by approvals that bind this change, this target, this
 * plan and this policy version, signed by keyring keys with the layer's role, unexpired, by
 * people other than the author, one layer each, with nonces never used before. Throws the
 * IsotypError of the first check that fails; a control plane cannot make it pass.
 *
 * @example
 * const verified = verifyApprovedChange(evidence, { changeId, targetId, environment: 'prod', rootKeyId, plan, lint, bump, now: new Date(), keyringVersionSeen: 3, nonceUsedElsewhere });
 */
export function verifyApprovedChange(evidence: ApprovalEvidence, local: LocalFacts): VerifiedChange {
  const change = parseClaim(changeClaimSchema, evidence.change, 'change');
  const environment = parseClaim(environmentClaimSchema, evidence.environment, 'environment');
  if (change.id !== local.changeId) {
    throw tampered(`The control plane answered with change ${change.id} for ${local.changeId}.`);
  }
  if (change.targetId !== local.targetId) {
    throw refused(
      'ISOTYP_APPROVAL_INVALID',
      `The change is for target ${change.targetId}, not this agent's ${local.targetId}.`,
    );
  }
  if (environment.id !== change.environmentId || environment.name !== local.environment) {
    throw refused(
      'ISOTYP_APPROVAL_INVALID',
      `The change is for environment "${environment.name}", not this agent's "${local.environment}".`,
    );
  }

  const root = openPinnedRoot(evidence.root, local.rootKeyId);
  const keyring = openKeyring(evidence.keyring, root);
  if (keyring.version < local.keyringVersionSeen) {
    throw new IsotypError(
      'ISOTYP_TRUST_MISMATCH',
      `The control plane served keyring version ${keyring.version}; this agent already used version ${local.keyringVersionSeen}.`,
      { hint: 'An older keyring may still list keys that were removed since. Check the control plane.' },
    );
  }
  const policy = openPolicy(evidence.policy, root);
  if (policy.version !== change.policyVersion) {
    throw tampered(
      `The control plane served policy version ${policy.version} for a change pinned to ${change.policyVersion}.`,
    );
  }

  if (local.plan.planDigest !== change.planDigest) {
    throw new IsotypError(
      'ISOTYP_DIGEST_MISMATCH',
      'The plan made here against the live database is not the plan that was approved.',
      {
        hint: 'The database or the desired schema changed since the plan was made: plan and submit again.',
        details: { approved: change.planDigest, planned: local.plan.planDigest },
      },
    );
  }
  const authorUserId = signedAuthor(change.submission, keyring, local);
  if (authorUserId !== change.authorUserId) {
    throw tampered(
      `The control plane names ${change.authorUserId} as the author; the submission is signed by ${authorUserId}.`,
    );
  }

  const manifest = buildManifest(local.plan, environment.privacyMode);
  const evaluation = evaluateApprovals({
    change: {
      changeId: local.changeId,
      targetId: local.targetId,
      planDigest: local.plan.planDigest,
      facts: changeFacts(manifest, local.lint, local.bump),
    },
    environment: {
      id: environment.id,
      name: environment.name,
      privacyMode: environment.privacyMode,
      project: environment.projectId,
    } satisfies EnvironmentFacts,
    policy,
    keyring,
    authorUserId,
    now: local.now,
    approvals: change.approvals,
  });
  const reused = evaluation.accepted.find((a) => local.nonceUsedElsewhere(a.nonce));
  if (reused !== undefined) {
    throw refused(
      'ISOTYP_APPROVAL_REPLAYED',
      `The approval ${reused.id} carries a nonce already used for another change.`,
    );
  }
  if (evaluation.status !== 'approved') {
    const missing = evaluation.layers.filter((l) => l.applies && (l.missing > 0 || l.rejectedBy.length > 0));
    throw new IsotypError(
      'ISOTYP_NOT_APPROVED',
      evaluation.status === 'rejected'
        ? `The change was rejected (layer ${missing.map((l) => l.name).join(', ')}).`
        : `The change lacks approvals: ${missing.map((l) => `${l.name} needs ${l.missing} more`).join('; ')}.`,
      {
        hint: 'Approvals the agent refused are listed in details; ask approvers to sign with isotyp approve.',
        details: { status: evaluation.status, layers: missing.map((l) => l.name), refused: evaluation.refused },
      },
    );
  }
  return { evaluation, keyring, policy, authorUserId, nonces: evaluation.accepted.map((a) => a.nonce) };
}

/** The org root envelope, self-signed by the key its payload names, which must be the pinned key. */
function openPinnedRoot(envelope: unknown, pinned: KeyId) {
  const claimed = orgRootSchema.safeParse((envelope as { payload?: unknown } | null)?.payload);
  if (!claimed.success) throw tampered('The control plane served no readable org root.');
  if (claimed.data.keyId !== pinned) {
    throw new IsotypError(
      'ISOTYP_TRUST_MISMATCH',
      `The control plane's org root is ${claimed.data.keyId}; this agent pinned ${pinned}.`,
      { hint: 'Only an org root this agent was enrolled with is trusted. Check the control plane and the pinned key.' },
    );
  }
  return verifyEnvelope(envelope, {
    type: ORG_ROOT_ENVELOPE_TYPE,
    keys: new Map([[pinned, decodePublicKey(claimed.data.publicKey)]]),
    payload: orgRootSchema,
  }).payload;
}

/**
 * The author, as their signature says: the submission envelope must be signed by a keyring key
 * and name this target and this plan. The control plane's `authorUserId` is only a claim.
 */
function signedAuthor(submission: unknown, keyring: Keyring, local: LocalFacts): string {
  const keys = new Map(keyring.keys.map((k) => [k.keyId, k]));
  const opened = verifyEnvelope(submission, {
    type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
    keys: (id: string) => {
      const entry = keys.get(id);
      return entry === undefined ? undefined : decodePublicKey(entry.publicKey);
    },
    payload: changeSubmissionSchema,
  });
  if (opened.payload.target !== local.targetId || opened.payload.planDigest !== local.plan.planDigest) {
    throw tampered('The signed submission is for another target or plan than this change.');
  }
  return (keys.get(opened.signer) as { userId: string }).userId;
}

function parseClaim<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw tampered(`The control plane's ${what} is not in the expected form.`);
  return parsed.data;
}

function refused(code: 'ISOTYP_APPROVAL_INVALID' | 'ISOTYP_APPROVAL_REPLAYED', message: string): IsotypError {
  return new IsotypError(code, message, { hint: 'Nothing was applied. Check the control plane and the change.' });
}

/** A claim of the control plane that contradicts what is signed or known here. */
function tampered(message: string): IsotypError {
  return new IsotypError('ISOTYP_APPROVAL_INVALID', message, {
    hint: 'The control plane served something its signatures do not support; nothing was applied.',
  });
}
