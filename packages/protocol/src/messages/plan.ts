import { z } from 'zod';
import { type Digest, digest, digestSchema } from '../digest.js';
import { dialectSchema, objectNameSchema } from './common.js';

export const riskSchema = z.enum(['safe', 'caution', 'destructive']);
export type Risk = z.infer<typeof riskSchema>;

/** How much of the target an operation blocks while it runs. */
export const lockImpactSchema = z.enum(['none', 'reads-allowed', 'writes-blocked', 'exclusive']);

export const objectKinds = [
  'namespace',
  'table',
  'column',
  'index',
  'primary-key',
  'unique',
  'foreign-key',
  'check',
  'view',
  'materialized-view',
  'enum',
  'domain',
  'sequence',
  'routine',
  'trigger',
  'comment',
  'migration',
] as const;
export const objectRefSchema = z.strictObject({
  kind: z.enum(objectKinds),
  namespace: objectNameSchema.nullable(),
  name: objectNameSchema,
});

export type ObjectRef = z.infer<typeof objectRefSchema>;

export const planOperationSchema = z.strictObject({
  /** What the operation does, e.g. `add-column`, `rebuild-table`, `replace-view`. */
  action: z.string().regex(/^[a-z]+(?:-[a-z]+)*$/),
  object: objectRefSchema,
  /** Statements that apply the operation, in order. */
  up: z.array(z.string().min(1)).min(1),
  /** Statements that undo it, or null when it is irreversible. */
  down: z.array(z.string().min(1)).nullable(),
  /** Why the operation cannot be undone; set exactly when `down` is null. */
  irreversibleReason: z.string().nullable(),
  risk: riskSchema,
  lock: lockImpactSchema,
  dataLoss: z.boolean(),
  /** False for statements that cannot run inside a transaction (CREATE INDEX CONCURRENTLY). */
  transactional: z.boolean(),
});

const planBodyShape = {
  v: z.literal(1),
  dialect: dialectSchema,
  fromDigest: digestSchema,
  toDigest: digestSchema,
  ops: z.array(planOperationSchema),
};

export const planSchema = z
  .strictObject({ ...planBodyShape, planDigest: digestSchema })
  .refine((plan) => plan.ops.every((op) => (op.down === null) === (op.irreversibleReason !== null)), {
    message: 'an operation has a reason exactly when it has no down statements',
    path: ['ops'],
  });

export type PlanOperation = z.infer<typeof planOperationSchema>;
export type Plan = z.infer<typeof planSchema>;
export type PlanBody = Omit<Plan, 'planDigest'>;

/**
 * planDigest = H(plan: v, dialect, fromDigest, toDigest, ops). It binds the exact statements, so
 * an approval over it approves these bytes and nothing else.
 */
export function planDigest(plan: PlanBody): Digest<'plan'> {
  const { v, dialect, fromDigest, toDigest, ops } = plan;
  return digest('plan', { v, dialect, fromDigest, toDigest, ops });
}
