import {
  DEFAULT_MAX_APPROVAL_SECONDS,
  IsotypError,
  keyringSchema,
  policySchema,
  type Role,
  signApproval,
} from '@isotyp/protocol';
import { type Change, changeSchema, getChange, type LayerStatus, type Review, readReview } from './changes.js';
import type { ControlPlaneClient } from './client.js';
import { requireUser } from './keys.js';
import { requireKey, type SecretStore } from './keystore.js';
import { latestTrust } from './org.js';

export type Decision = 'approve' | 'reject';

/** How long a signature stays valid when the signer does not say. */
const DEFAULT_EXPIRY_SECONDS = 24 * 3600;

export interface DecideInput {
  id: string;
  decision: Decision;
  /** The policy layer to sign; chosen from the review when absent. */
  layer?: string | undefined;
  /** How long the signature stays valid, in seconds; default 24 h or the policy's maximum if shorter. */
  expiresInSeconds?: number | undefined;
  reason?: string | undefined;
}

export interface DecideResult {
  change: Change;
  layer: string;
  decision: Decision;
  keyId: string;
  expiresAt: string;
}

/**
 * Signs an approval or a rejection of one policy layer with this machine's approver key and
 * records it. The private key never leaves: only the signed envelope is sent. Without `layer`,
 * the first layer that applies, whose role the signer's keyring entry holds and that still
 * misses approvals (for a rejection: that the signer may sign) is chosen.
 *
 * @example
 * const { layer } = await decide(client, secretStore(), { id, decision: 'approve', expiresInSeconds: 86400 });
 */
export async function decide(
  client: ControlPlaneClient,
  store: SecretStore,
  input: DecideInput,
): Promise<DecideResult> {
  const key = await requireKey(store, 'approver');
  const [me, change] = await Promise.all([requireUser(client), getChange(client, input.id)]);
  if (change.state !== 'submitted' && change.state !== 'in_review') {
    throw new IsotypError('ISOTYP_INVALID_STATE', `Change ${change.id} is ${change.state}; it is not under review.`, {
      hint: 'Only submitted or in-review changes take approvals. See isotyp changes show ID.',
      details: { id: change.id, state: change.state },
    });
  }
  if (change.authorUserId === me.userId) {
    throw new IsotypError(
      'ISOTYP_SEPARATION_OF_DUTIES',
      `You submitted change ${change.id}; someone else reviews it.`,
      {
        hint: 'Ask an approver who did not write the change.',
      },
    );
  }
  const review = reviewOf(change);
  const [keyringDoc, policyDoc] = await Promise.all([
    latestTrust(client, 'keyring'),
    latestTrust(client, 'policy', change.policyVersion),
  ]);
  const keyring = keyringDoc === undefined ? undefined : keyringSchema.safeParse(keyringDoc.document.payload).data;
  const roles = keyring?.keys.find((k) => k.keyId === key.keyId)?.roles;
  if (roles === undefined) {
    throw new IsotypError(
      'ISOTYP_KEY_UNKNOWN',
      `Your approver key ${key.keyId} is not in the organisation's keyring.`,
      {
        hint: 'Register it with isotyp keys generate, then ask an admin to run isotyp org sign-keyring.',
        details: { keyId: key.keyId },
      },
    );
  }
  const layer = chooseLayer(review, roles, me.userId, input);
  const policy = policyDoc === undefined ? undefined : policySchema.safeParse(policyDoc.document.payload).data;
  const maxSeconds = policy?.maxApprovalSeconds ?? DEFAULT_MAX_APPROVAL_SECONDS;
  const expiresIn = input.expiresInSeconds ?? Math.min(DEFAULT_EXPIRY_SECONDS, maxSeconds);
  if (expiresIn > maxSeconds) {
    throw new IsotypError('ISOTYP_USAGE', `The policy lets approvals last at most ${formatSeconds(maxSeconds)}.`, {
      hint: `Pass a shorter --expires-in (at most ${formatSeconds(maxSeconds)}).`,
    });
  }
  const expiresAt = new Date(Date.now() + expiresIn * 1000).toISOString();
  const envelope = signApproval(
    {
      changeId: change.id,
      targetId: change.targetId,
      planDigest: change.planDigest,
      policyVersion: change.policyVersion,
      layer: layer.name,
      decision: input.decision,
      expiresAt,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
    },
    key.pair.secretKey,
  );
  const path = `/v1/changes/${encodeURIComponent(change.id)}/approvals`;
  const updated = await client.post(path, { envelope }, changeSchema);
  return { change: updated, layer: layer.name, decision: input.decision, keyId: key.keyId, expiresAt };
}

function reviewOf(change: Change): Review {
  const read = readReview(change);
  if ('review' in read) return read.review;
  throw new IsotypError(
    'ISOTYP_TRUST_NOT_INITIALISED',
    `The control plane cannot review change ${change.id} (${read.error}).`,
    {
      hint: 'An admin publishes the keyring and policy with isotyp org init.',
    },
  );
}

/** The layer to sign: the one named, checked; else the first that fits. */
export function chooseLayer(
  review: Review,
  roles: readonly Role[],
  userId: string,
  input: Pick<DecideInput, 'layer' | 'decision'>,
): LayerStatus {
  const signed = (l: LayerStatus) => l.approvedBy.includes(userId) || l.rejectedBy.includes(userId);
  const fits = (l: LayerStatus) => l.applies && (roles as readonly string[]).includes(l.role) && !signed(l);
  const approved = review.layers.find((l) => l.approvedBy.includes(userId));
  if (input.decision === 'approve' && approved !== undefined) {
    throw new IsotypError('ISOTYP_SEPARATION_OF_DUTIES', `You have already approved layer ${approved.name}.`, {
      hint: 'One person signs one layer; another approver signs the rest.',
    });
  }
  if (input.layer !== undefined) {
    const named = review.layers.find((l) => l.name === input.layer);
    if (named === undefined) {
      throw new IsotypError('ISOTYP_USAGE', `The policy has no layer ${input.layer}.`, {
        hint: `Layers: ${review.layers.map((l) => l.name).join(', ')}.`,
      });
    }
    if (!fits(named)) throw cannotSign(named, roles, signed(named));
    return named;
  }
  const candidates = review.layers.filter(fits);
  const chosen = input.decision === 'approve' ? candidates.find((l) => l.missing > 0) : candidates[0];
  if (chosen !== undefined) return chosen;
  const open = review.layers.filter((l) => l.applies && l.missing > 0);
  throw new IsotypError('ISOTYP_FORBIDDEN', 'There is no layer of this change you can sign.', {
    hint:
      open.length === 0
        ? 'Every applying layer already has its approvals.'
        : `Still open: ${open.map((l) => `${l.name} (role ${l.role})`).join(', ')}; your key holds ${roles.join(', ')}.`,
  });
}

function cannotSign(layer: LayerStatus, roles: readonly Role[], alreadySigned: boolean): IsotypError {
  const why = !layer.applies
    ? `layer ${layer.name} does not apply to this change`
    : alreadySigned
      ? `you have already signed layer ${layer.name}`
      : `layer ${layer.name} needs role ${layer.role}; your key holds ${roles.join(', ')}`;
  return new IsotypError('ISOTYP_FORBIDDEN', `You cannot sign this: ${why}.`, {
    hint: 'Drop --layer to let isotyp pick a layer you can sign.',
  });
}

/**
 * `--expires-in`: a number with a unit — `90s`, `30m`, `24h`, `7d` (a bare number is seconds).
 *
 * @example
 * parseDuration('24h'); // 86400
 */
export function parseDuration(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  const units = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 } as const;
  const seconds = match === null ? 0 : Number(match[1]) * units[(match[2] ?? '') as keyof typeof units];
  if (seconds <= 0) {
    throw new IsotypError('ISOTYP_USAGE', `Cannot read the duration ${text}.`, {
      hint: 'Use a number and a unit: 90s, 30m, 24h or 7d.',
    });
  }
  return seconds;
}

function formatSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${seconds}s`;
}
