import { z } from 'zod';
import { digestSchema } from '../digest.js';
import { idSchema, timestampSchema } from './common.js';

export const APPROVAL_ENVELOPE_TYPE = 'isotyp.approval';

/**
 * What an approver signs. Binding the target and the plan digest means the signature approves
 * these statements on this database only; `expiresAt` bounds how long it stays usable.
 */
export const approvalPayloadSchema = z.strictObject({
  changeId: idSchema,
  target: idSchema,
  planDigest: digestSchema,
  /** Policy layer, counted from 1. */
  layer: z.number().int().min(1).max(32),
  decision: z.enum(['approve', 'reject']),
  expiresAt: timestampSchema,
  reason: z.string().max(2000).optional(),
});
export type ApprovalPayload = z.infer<typeof approvalPayloadSchema>;
