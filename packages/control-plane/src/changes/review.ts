import {
  type ApprovalEvaluation,
  changeFacts,
  evaluateApprovals,
  IsotypError,
  type LintFinding,
  type Manifest,
  type ReviewContext,
} from '@isotyp/protocol';
import type { ApprovalRecord, ChangeRecord, EnvironmentRecord, Store } from '../storage/store.js';
import { openStoredKeyring, openStoredPolicy, orgRoot } from '../trust/trust-documents.js';

/**
 * Everything a change's approvals are judged against, rebuilt from the stored, signed
 * documents: the policy version pinned at submit (never a newer or older one), the latest
 * keyring (a key removed from it stops counting), both verified against the org root — the
 * store is not trusted to have kept them intact (a document's text verified once is remembered).
 */
export async function reviewContext(store: Store, change: ChangeRecord, now: Date): Promise<ReviewContext> {
  const [root, policyDoc, keyringDoc, environment] = await Promise.all([
    orgRoot(store, change.orgId),
    store.trust.get(change.orgId, 'policy', change.policyVersion),
    store.trust.latest(change.orgId, 'keyring'),
    store.environments.get(change.orgId, change.environmentId),
  ]);
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
    policy: openStoredPolicy(policyDoc.document, root),
    keyring: openStoredKeyring(keyringDoc.document, root),
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

/**
 * The review's standing: every stored approval judged again under the current context. Pass the
 * approvals when the caller has already read them.
 */
export async function evaluateChange(
  store: Store,
  change: ChangeRecord,
  now: Date,
  approvals?: readonly ApprovalRecord[],
): Promise<ApprovalEvaluation> {
  const [context, stored] = await Promise.all([
    reviewContext(store, change, now),
    approvals ?? store.approvals.forChange(change.orgId, change.id),
  ]);
  return evaluateApprovals({ ...context, approvals: stored.map((a) => a.envelope) });
}
