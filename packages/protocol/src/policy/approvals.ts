import nacl from 'tweetnacl';
import { toBase64Url } from '../encoding.js';
import { type Envelope, sealEnvelope } from '../envelope.js';
import type { ErrorCode } from '../errors/codes.js';
import { IsotypError, toIsotypError } from '../errors/isotyp-error.js';
import { APPROVAL_ENVELOPE_TYPE, type ApprovalPayload, approvalPayloadSchema } from '../messages/approval.js';
import {
  type AcceptedApproval,
  admitApproval,
  byCreation,
  prepareReview,
  type Review,
  type ReviewContext,
  type VerifiedApproval,
  verifyApproval,
} from './approval-rules.js';

/** An approval to sign; `nonce` defaults to 16 fresh random bytes. */
export type ApprovalDraft = Omit<ApprovalPayload, 'nonce'> & { nonce?: string };

/** Where one layer stands. A layer whose condition could not be evaluated applies (fail closed). */
export interface LayerStatus {
  name: string;
  role: string;
  applies: boolean;
  required: number;
  /** Distinct keyring userIds whose approval counts. */
  approvedBy: string[];
  rejectedBy: string[];
  /** Approvals still needed; 0 for a layer that does not apply. */
  missing: number;
  /** Why the layer's condition could not be evaluated, when it could not. */
  conditionError?: string;
}

export interface RefusedApproval {
  /** Position in the `approvals` array given. */
  index: number;
  code: ErrorCode;
  reason: string;
}

export interface ApprovalEvaluation {
  /** `rejected` if any eligible signer rejected; `approved` when every applying layer is met. */
  status: 'approved' | 'pending' | 'rejected';
  layers: LayerStatus[];
  accepted: AcceptedApproval[];
  refused: RefusedApproval[];
}

/**
 * Signs an approval payload with the approver's own key into an `isotyp.approval` envelope.
 *
 * @example
 * const envelope = signApproval(
 *   { changeId, targetId, planDigest, policyVersion: 3, layer: 'dba', decision: 'approve', expiresAt },
 *   keys.secretKey,
 * );
 */
export function signApproval(
  draft: ApprovalDraft,
  secretKey: Uint8Array,
  options: { createdAt?: Date } = {},
): Envelope<ApprovalPayload> {
  const parsed = approvalPayloadSchema.safeParse({ ...draft, nonce: draft.nonce ?? toBase64Url(nacl.randomBytes(16)) });
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The approval does not match its schema.', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return sealEnvelope({
    type: APPROVAL_ENVELOPE_TYPE,
    payload: parsed.data,
    secretKey,
    ...(options.createdAt === undefined ? {} : { createdAt: options.createdAt }),
  });
}

/**
 * Decides whether a change is approved under its policy, judging every approval envelope by
 * the same rules the agent applies before it applies anything: a keyring signer, binding to
 * this change/target/plan/policy version, an applying layer, the layer's role, expiry within
 * the policy's maximum, author ≠ approver, one person one layer, each nonce once. Approvals
 * are judged in createdAt order, so the result does not depend on the order given.
 * Throws only when the policy or context itself is invalid.
 *
 * @example
 * const result = evaluateApprovals({ change, environment, policy, keyring, approvals, authorUserId, now: new Date() });
 * if (result.status !== 'approved') refuse(result);
 */
export function evaluateApprovals(input: ReviewContext & { approvals: readonly unknown[] }): ApprovalEvaluation {
  const review = prepareReview(input);
  const refused: RefusedApproval[] = [];
  const verified: { index: number; approval: VerifiedApproval }[] = [];
  input.approvals.forEach((envelope, index) => {
    try {
      verified.push({ index, approval: verifyApproval(review, envelope) });
    } catch (error) {
      refused.push(refusal(index, error));
    }
  });
  const accepted: AcceptedApproval[] = [];
  for (const { index, approval } of verified.sort((a, b) => byCreation(a.approval, b.approval))) {
    try {
      accepted.push(admitApproval(review, approval));
    } catch (error) {
      refused.push(refusal(index, error));
    }
  }
  refused.sort((a, b) => a.index - b.index);
  const layers = tally(review, accepted);
  const status = layers.some((l) => l.applies && l.rejectedBy.length > 0)
    ? 'rejected'
    : layers.every((l) => l.missing === 0)
      ? 'approved'
      : 'pending';
  return { status, layers, accepted, refused };
}

/**
 * Judges ONE incoming approval against the same rules, given the approvals already accepted
 * for the change — what the control plane calls on receipt so it can answer 4xx at once.
 * Returns the accepted approval, or throws the IsotypError of the rule it breaks.
 *
 * @example
 * const accepted = checkApproval({ ...context, approval: body, accepted: await store.approvals(changeId) });
 */
export function checkApproval(
  input: ReviewContext & { approval: unknown; accepted: readonly unknown[] },
): AcceptedApproval {
  const review = prepareReview(input);
  const earlier: VerifiedApproval[] = [];
  for (const envelope of input.accepted) {
    try {
      earlier.push(verifyApproval(review, envelope));
    } catch {
      // An earlier approval that no longer verifies (key removed) simply holds nothing.
    }
  }
  for (const approval of earlier.sort(byCreation)) {
    try {
      admitApproval(review, approval);
    } catch {
      // Expired or otherwise refused approvals neither count nor hold a layer.
    }
  }
  return admitApproval(review, verifyApproval(review, input.approval));
}

function tally(review: Review, accepted: readonly AcceptedApproval[]): LayerStatus[] {
  return [...review.layers.values()].map(({ layer, applies, conditionError }) => {
    const mine = accepted.filter((a) => a.layer === layer.name);
    const approvedBy = [...new Set(mine.filter((a) => a.decision === 'approve').map((a) => a.userId))].sort();
    const rejectedBy = [...new Set(mine.filter((a) => a.decision === 'reject').map((a) => a.userId))].sort();
    return {
      name: layer.name,
      role: layer.role,
      applies,
      required: layer.required,
      approvedBy,
      rejectedBy,
      missing: applies ? Math.max(0, layer.required - approvedBy.length) : 0,
      ...(conditionError === undefined ? {} : { conditionError }),
    };
  });
}

function refusal(index: number, error: unknown): RefusedApproval {
  const failure = toIsotypError(error);
  return { index, code: failure.code, reason: failure.message };
}
