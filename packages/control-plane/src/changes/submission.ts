import {
  CHANGE_SUBMISSION_ENVELOPE_TYPE,
  type ChangeSubmission,
  changeManifestDigest,
  changeSubmissionSchema,
  decodePublicKey,
  IsotypError,
  type LintFinding,
  type Manifest,
  type PrivacyMode,
  verifyEnvelope,
} from '@isotyp/protocol';
import type { Principal } from '../context.js';
import type { ApproverKeyRecord, Store, TargetRecord } from '../storage/store.js';

/**
 * Checks what an author sends on submit, before anything is stored: the submission envelope is
 * signed by a registered key of the submitting person (a CI token signs with its creator's
 * key), the manifest is the one the signature's digest names, and nothing crosses that the
 * environment's privacy mode forbids.
 */
export async function verifySubmission(
  store: Store,
  principal: Principal,
  raw: unknown,
  manifest: Manifest,
  lint: LintFinding[],
): Promise<{ payload: ChangeSubmission; key: ApproverKeyRecord }> {
  const signer = (raw as { signer?: unknown } | null)?.signer;
  const key = typeof signer === 'string' ? await store.approverKeys.get(principal.orgId, signer) : undefined;
  if (key === undefined || key.revokedAt !== undefined) {
    throw new IsotypError('ISOTYP_KEY_UNKNOWN', 'The submission is not signed by a registered key.', {
      hint: 'Run isotyp keys generate once; isotyp submit signs with that key.',
    });
  }
  const author =
    principal.kind === 'user'
      ? principal.userId
      : principal.kind === 'ci'
        ? (await store.ciTokens.get(principal.orgId, principal.tokenId))?.createdBy
        : undefined;
  if (key.userId !== author) {
    throw new IsotypError('ISOTYP_FORBIDDEN', 'The submission is signed with somebody else’s key.', {
      hint:
        principal.kind === 'user'
          ? 'Sign with your own key (isotyp keys generate).'
          : 'A CI token signs with a key of the person who created it.',
    });
  }
  const { payload } = verifyEnvelope(raw, {
    type: CHANGE_SUBMISSION_ENVELOPE_TYPE,
    keys: new Map([[key.keyId, decodePublicKey(key.publicKey)]]),
    payload: changeSubmissionSchema,
  });
  if (changeManifestDigest(manifest, lint) !== payload.manifestDigest) {
    throw new IsotypError('ISOTYP_DIGEST_MISMATCH', 'The manifest is not the one the submission signs.', {
      hint: 'Submit the manifest produced with the plan, unchanged.',
    });
  }
  return { payload, key };
}

/** Refuses a manifest or lint finding carrying more than `mode` allows to leave the site. */
export function checkPrivacy(mode: PrivacyMode, manifest: Manifest, lint: LintFinding[]): void {
  const refuse = (what: string) =>
    new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `This environment's privacy mode is ${mode}; the submission carries ${what}.`,
      {
        hint: 'Plan and submit again: isotyp submit filters the manifest by the environment’s mode.',
        details: { mode },
      },
    );
  if (manifest.mode !== mode) throw refuse(`a ${manifest.mode} manifest`);
  if (mode !== 'full' && manifest.ddl !== undefined) throw refuse('DDL');
  if (mode === 'digest' && manifest.objects !== undefined) throw refuse('object names');
  if (mode === 'digest' && lint.some((finding) => finding.object !== undefined))
    throw refuse('object names in lint findings');
}

/**
 * What a plan must meet to become a change on `target` (POST /v1/changes) or to be attached to a
 * suggestion (an agent's draft): nothing crosses that the environment's privacy mode forbids, and
 * the plan starts from the target's current schema, when the control plane knows it.
 */
export async function checkPlanForTarget(
  store: Store,
  target: TargetRecord,
  plan: { fromDigest: string; manifest: Manifest; lint: LintFinding[] },
  then: string,
): Promise<void> {
  const environment = await store.environments.get(target.orgId, target.environmentId);
  if (environment === undefined) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `No environment ${target.environmentId} in your organisation.`);
  }
  checkPrivacy(environment.privacyMode, plan.manifest, plan.lint);
  if (target.digest !== undefined && target.digest !== plan.fromDigest) {
    throw new IsotypError('ISOTYP_CONFLICT', 'The plan starts from another schema than the target’s current one.', {
      hint: `Plan again against the live database, then ${then}.`,
      details: { current: target.digest, planFrom: plan.fromDigest },
    });
  }
}
