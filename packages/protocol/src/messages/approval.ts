import { z } from 'zod';
import { digestSchema } from '../digest.js';
import { idSchema, timestampSchema } from './common.js';
import { layerNameSchema } from './trust.js';

export const APPROVAL_ENVELOPE_TYPE = 'isotyp.approval';

/**
 * What an approver signs, in an `isotyp.approval` envelope. Every field binds the signature to
 * one thing: `changeId` and `planDigest` to these statements, `targetId` to one database,
 * `policyVersion` to the policy the change is reviewed under (an older, laxer policy cannot be
 * brought back), `layer` to one layer of that policy, and `nonce` makes each approval usable
 * once. `expiresAt` bounds how long it stays usable.
 */
export const approvalPayloadSchema = z.strictObject({
  changeId: idSchema,
  targetId: idSchema,
  planDigest: digestSchema,
  policyVersion: z.number().int().min(1),
  layer: layerNameSchema,
  decision: z.enum(['approve', 'reject']),
  expiresAt: timestampSchema,
  /** 16 random bytes, base64url; accepted once per organisation. */
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'expected 16 bytes as base64url'),
  reason: z.string().max(2000).optional(),
});
export type ApprovalPayload = z.infer<typeof approvalPayloadSchema>;
