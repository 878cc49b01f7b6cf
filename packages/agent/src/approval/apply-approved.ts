import { type AcceptedApproval, isIsotypError } from '@isotyp/protocol';
import { type ApplyResult, applyPlan } from '../apply/apply.js';
import type { AuditLog } from '../audit/audit-log.js';
import { type LocalPlanOptions, openRunner, planTarget } from '../local.js';
import type { TrustState } from './trust-state.js';
import { type ApprovalEvidence, type LocalFacts, verifyApprovedChange } from './verify-approved-change.js';

export interface ApprovedApplyOptions {
  /** The target's URL (credentials resolved by the caller). */
  target: string;
  /** How to plan: the desired schema and the planner's options. */
  plan: LocalPlanOptions;
  /** What the control plane says about the change; trusted for nothing. */
  evidence: ApprovalEvidence;
  local: Pick<LocalFacts, 'changeId' | 'targetId' | 'environment' | 'rootKeyId'>;
  trust: TrustState;
  audit: AuditLog;
  /** Who runs the apply, for the target's history and the audit log. */
  actor: string;
  /**
   * Called once the change is verified, before the first statement (the CLI tells the control
   * plane the change is `applying`); if it throws, nothing is applied and the refusal audited.
   */
  beforeApply?: () => Promise<void>;
  now?: () => Date;
}

export interface ApprovedApplyResult extends ApplyResult {
  changeId: string;
  approvals: AcceptedApproval[];
}

/**
 * Zero-trust apply: plans the change here, against the live database; verifies on the agent's
 * own authority that exactly this plan is approved (see verifyApprovedChange); only then runs
 * it, through the same locked, digest-checked apply as a local plan. A refusal is written to
 * the local audit log with its code and nothing is run; the approvals' nonces are recorded
 * before the first statement, so they can never count for another change.
 *
 * @example
 * const result = await applyApprovedChange({ target, plan: { schema: 'schema.sql' }, evidence, local, trust, audit, actor: 'ci:deploy' });
 */
export async function applyApprovedChange(options: ApprovedApplyOptions): Promise<ApprovedApplyResult> {
  const { local, trust, audit, actor } = options;
  const now = options.now ?? (() => new Date());
  const entity = { kind: 'change', id: local.changeId };
  const planned = await planTarget(options.target, options.plan);
  let verified: ReturnType<typeof verifyApprovedChange>;
  try {
    verified = verifyApprovedChange(options.evidence, {
      ...local,
      plan: planned.plan,
      lint: planned.lint,
      bump: planned.semver,
      now: now(),
      keyringVersionSeen: trust.keyringVersionSeen(),
      nonceUsedElsewhere: (nonce) => trust.nonceUsedElsewhere(nonce, local.changeId),
    });
    trust.recordApplied({
      changeId: local.changeId,
      nonces: verified.nonces,
      keyringVersion: verified.keyring.version,
      at: now(),
    });
    await options.beforeApply?.();
  } catch (error) {
    if (isIsotypError(error)) {
      audit.append([
        {
          actor,
          // The log keeps only a digest of the details: the code goes in the action, to be read.
          action: `change.refused:${error.code}`,
          entity,
          details: {
            code: error.code,
            reason: error.message,
            planDigest: planned.plan.planDigest,
            target: planned.target,
          },
        },
      ]);
    }
    throw error;
  }

  const approvals = verified.evaluation.accepted;
  const runner = openRunner(options.target);
  let result: ApplyResult;
  try {
    result = await applyPlan(runner, planned.plan, actor);
  } catch (error) {
    audit.append([
      {
        actor,
        action: `change.apply-failed:${isIsotypError(error) ? error.code : 'ISOTYP_INTERNAL'}`,
        entity,
        details: {
          code: isIsotypError(error) ? error.code : 'ISOTYP_INTERNAL',
          planDigest: planned.plan.planDigest,
          target: planned.target,
        },
      },
    ]);
    throw error;
  } finally {
    await runner.close();
  }
  audit.append([
    {
      actor,
      action: 'change.apply',
      entity,
      details: {
        target: planned.target,
        planDigest: result.planDigest,
        fromDigest: result.fromDigest,
        toDigest: result.toDigest,
        version: result.toVersion,
        approvals: approvals.map((a) => ({ id: a.id, keyId: a.keyId, userId: a.userId, layer: a.layer })),
      },
    },
  ]);
  return { ...result, changeId: local.changeId, approvals };
}
