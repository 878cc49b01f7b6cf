import {
  type ApprovalEvaluation,
  changeFacts,
  type Envelope,
  evaluateApprovals,
  IsotypError,
  type LintFinding,
  type Manifest,
  openKeyring,
  openPolicy,
  type ReviewContext,
} from '@isotyp/protocol';
import { orgRoot } from '../routes/trust.js';
import type { ChangeRecord, EnvironmentRecord, Store } from '../storage/store.js';

/**
 * Everything a change's approvals are judged against, rebuilt from the stored, signed
 * documents: the policy version pinned at submit (never a newer or older one), the latest
 * keyring (a key removed from it stops counting), both verified against the org root again —
 * the store is not trusted to have kept them intact.
 */
export async function reviewContext(store: Store, change: ChangeRecord, now: Date): Promise<ReviewContext> {
  const root = await orgRoot(store, change.orgId);
  const policyDoc = await store.trust.get(change.orgId, 'policy', change.policyVersion);
  const keyringDoc = await store.trust.latest(change.orgId, 'keyring');
  const environment = await store.environments.get(change.orgId, change.environmentId);
  if (policyDoc === undefined || keyringDoc === undefined || environment === undefined) {
    throw new IsotypError(
      'ISOTYP_TRUST_NOT_INITIALISED',
      'The keyring or the policy this change is reviewed under is missing.',
      {
        hint: 'An admin publishes them with isotyp org init.',
      },
    );
  }
  return {
    change: {
      changeId: change.id,
      targetId: change.targetId,
      planDigest: change.planDigest,
      facts: changeFacts(change.manifest as unknown as Manifest, change.lint as unknown as LintFinding[], change.bump),
    },
    environment: environmentFacts(environment),
    policy: openPolicy(policyDoc.document as unknown as Envelope, root),
    keyring: openKeyring(keyringDoc.document as unknown as Envelope, root),
    authorUserId: change.authorUserId,
    now,
  };
}

export function environmentFacts(environment: EnvironmentRecord) {
  return {
    id: environment.id,
    name: environment.name,
    privacyMode: environment.privacyMode,
    project: environment.projectId,
  };
}

/** The review's standing: every stored approval judged again under the current context. */
export async function evaluateChange(
  store: Store,
  change: ChangeRecord,
  now: Date,
): Promise<{ context: ReviewContext; evaluation: ApprovalEvaluation }> {
  const context = await reviewContext(store, change, now);
  const approvals = await store.approvals.forChange(change.orgId, change.id);
  return { context, evaluation: evaluateApprovals({ ...context, approvals: approvals.map((a) => a.envelope) }) };
}
