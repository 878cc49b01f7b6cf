import { type Opened, openEnvelope, verifyEnvelope } from '../envelope.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { APPROVAL_ENVELOPE_TYPE, type ApprovalPayload, approvalPayloadSchema } from '../messages/approval.js';
import type { Keyring, KeyringEntry, Policy, PolicyLayer } from '../messages/trust.js';
import { decodePublicKey } from '../signature.js';
import { evaluateCondition } from './cel.js';
import type { ChangeFacts, EnvironmentFacts } from './facts.js';
import { validatePolicy } from './trust-documents.js';

/** Default longest life of an approval when the policy sets none: 7 days. */
export const DEFAULT_MAX_APPROVAL_SECONDS = 7 * 24 * 3600;
/** How far in the future an approval's createdAt may lie, for clocks that disagree. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

/** The change an approval must bind, with the facts its policy conditions see. */
export interface ChangeUnderReview {
  changeId: string;
  targetId: string;
  planDigest: string;
  facts: ChangeFacts;
}

/** Everything approvals are judged against. `policy` and `keyring` come from openPolicy/openKeyring. */
export interface ReviewContext {
  change: ChangeUnderReview;
  environment: EnvironmentFacts;
  policy: Policy;
  keyring: Keyring;
  /** The change author's keyring userId: they may not approve their own change. */
  authorUserId: string;
  now: Date;
}

/** An approval that passed every rule. */
export interface AcceptedApproval {
  id: string;
  keyId: string;
  userId: string;
  layer: string;
  decision: ApprovalPayload['decision'];
  expiresAt: string;
  /** The approver's nonce: an agent records it, and refuses it again for another change. */
  nonce: string;
}

export interface PreparedLayer {
  layer: PolicyLayer;
  applies: boolean;
  conditionError?: string;
}

/** The per-review state the rules read: decided layers, trusted keys, what was already used. */
export interface Review {
  context: ReviewContext;
  layers: Map<string, PreparedLayer>;
  keys: Map<string, { entry: KeyringEntry; publicKey: Uint8Array }>;
  maxLifeMs: number;
  nonces: Set<string>;
  /** keyring userId → the one layer that person has signed for this change. */
  userLayers: Map<string, string>;
}

export type VerifiedApproval = Opened<ApprovalPayload>;

export function prepareReview(context: ReviewContext): Review {
  const { policy, keyring, change, environment, now } = context;
  validatePolicy(policy);
  if (policy.org !== keyring.org) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `The policy (org "${policy.org}") and keyring (org "${keyring.org}") differ.`,
    );
  }
  // An invalid date compares false with everything, which would make no approval ever expire.
  if (Number.isNaN(now.getTime())) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The evaluation time is not a valid date.');
  }
  const layers = new Map<string, PreparedLayer>();
  for (const layer of policy.layers) {
    if (layer.when === undefined) {
      layers.set(layer.name, { layer, applies: true });
      continue;
    }
    const outcome = evaluateCondition(layer.when, layer.name, change.facts, environment);
    // Fail closed: a condition that cannot be decided makes its layer required.
    layers.set(
      layer.name,
      outcome.ok ? { layer, applies: outcome.value } : { layer, applies: true, conditionError: outcome.reason },
    );
  }
  const keys = new Map(
    keyring.keys.map((entry) => [entry.keyId, { entry, publicKey: decodePublicKey(entry.publicKey) }]),
  );
  const maxLifeMs = (policy.maxApprovalSeconds ?? DEFAULT_MAX_APPROVAL_SECONDS) * 1000;
  return { context, layers, keys, maxLifeMs, nonces: new Set(), userLayers: new Map() };
}

/** Checks the envelope's signature against the keyring, the payload schema and its creation time. */
export function verifyApproval(review: Review, input: unknown): VerifiedApproval {
  const options = {
    type: APPROVAL_ENVELOPE_TYPE,
    keys: (id: string) => review.keys.get(id)?.publicKey,
    payload: approvalPayloadSchema,
  };
  const opened =
    typeof input === 'string' || input instanceof Uint8Array
      ? openEnvelope(input, options)
      : verifyEnvelope(input, options);
  // The envelope schema checks createdAt's shape only; "2026-13-01T…" parses to NaN, which
  // compares false with everything and would slip past the lifetime bound.
  if (Number.isNaN(Date.parse(opened.createdAt))) {
    throw refuse('ISOTYP_APPROVAL_INVALID', `The approval's createdAt ${opened.createdAt} is not a real time.`);
  }
  return opened;
}

/**
 * Applies every rule to a verified approval and, when it passes, records it in `review` so
 * later approvals are judged against it. Throws the IsotypError of the first rule it breaks.
 */
export function admitApproval(review: Review, approval: VerifiedApproval): AcceptedApproval {
  const { context, layers, keys, nonces, userLayers } = review;
  const { payload } = approval;
  // Signed, so the nonce is the approver's own: a second sighting is a replay.
  if (nonces.has(payload.nonce)) throw refuse('ISOTYP_APPROVAL_REPLAYED', 'This approval nonce was already used.');
  nonces.add(payload.nonce);

  const expected = {
    changeId: context.change.changeId,
    targetId: context.change.targetId,
    planDigest: context.change.planDigest,
    policyVersion: context.policy.version,
  };
  for (const [field, value] of Object.entries(expected)) {
    if (payload[field as keyof typeof expected] !== value) {
      throw refuse('ISOTYP_APPROVAL_INVALID', `The approval is for another ${field}.`, { field });
    }
  }
  const prepared = layers.get(payload.layer);
  if (prepared === undefined) throw refuse('ISOTYP_APPROVAL_INVALID', `The policy has no layer "${payload.layer}".`);
  if (!prepared.applies) {
    throw refuse('ISOTYP_APPROVAL_INVALID', `Layer "${payload.layer}" does not apply to this change.`);
  }
  // verifyApproval only resolves keyring keys, so the signer is always present here.
  const signer = keys.get(approval.signer)?.entry as KeyringEntry;
  if (!signer.roles.includes(prepared.layer.role)) {
    throw refuse('ISOTYP_APPROVAL_INVALID', `Layer "${payload.layer}" needs role ${prepared.layer.role}.`);
  }

  const now = context.now.getTime();
  const created = Date.parse(approval.createdAt);
  const expires = Date.parse(payload.expiresAt);
  // A future createdAt would stretch the lifetime bound below past the policy's maximum.
  if (created > now + MAX_CLOCK_SKEW_SECONDS * 1000) {
    throw refuse('ISOTYP_APPROVAL_INVALID', 'The approval is dated in the future.');
  }
  if (expires <= now) throw refuse('ISOTYP_APPROVAL_EXPIRED', `The approval expired at ${payload.expiresAt}.`);
  if (expires - created > review.maxLifeMs) {
    const max = review.maxLifeMs / 1000;
    throw refuse('ISOTYP_APPROVAL_INVALID', `The approval is valid for longer than the policy's ${max} seconds.`);
  }

  if (signer.userId === context.authorUserId) {
    throw refuse('ISOTYP_SEPARATION_OF_DUTIES', 'The author of a change cannot approve it.');
  }
  const held = userLayers.get(signer.userId);
  if (held !== undefined && held !== payload.layer) {
    throw refuse('ISOTYP_SEPARATION_OF_DUTIES', `${signer.userId} already signed layer "${held}" of this change.`);
  }
  userLayers.set(signer.userId, payload.layer);
  return {
    id: approval.id,
    keyId: approval.signer,
    userId: signer.userId,
    layer: payload.layer,
    decision: payload.decision,
    expiresAt: payload.expiresAt,
    nonce: payload.nonce,
  };
}

/** Verified approvals in the order rules see them: by createdAt, then id, so every caller agrees. */
export function byCreation(a: VerifiedApproval, b: VerifiedApproval): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function refuse(
  code:
    | 'ISOTYP_APPROVAL_INVALID'
    | 'ISOTYP_APPROVAL_REPLAYED'
    | 'ISOTYP_APPROVAL_EXPIRED'
    | 'ISOTYP_SEPARATION_OF_DUTIES',
  message: string,
  details?: Record<string, unknown>,
): IsotypError {
  return new IsotypError(code, message, details === undefined ? {} : { details });
}
