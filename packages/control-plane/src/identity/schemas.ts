import { z } from '@hono/zod-openapi';
import { roles } from '@isotyp/protocol';
import type { CiTokenRecord, RoleGrantRecord, UserRecord } from '../storage/store.js';
import { ciActions } from '../storage/store.js';

/**
 * Wire schemas of the identity routes, shared by `routes/auth.ts`, `tokens.ts` and `users.ts`.
 * Records are mapped to these explicitly (`toUserView`, `toCiTokenView`) so a stored secret such
 * as `passwordHash` or `secretHash` can never reach a response by being spread along.
 */
export const objectId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected letters, digits and _ . : - only');

export const scopeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('org') }),
    z.strictObject({ kind: z.literal('project'), projectId: objectId }),
    z.strictObject({ kind: z.literal('environment'), projectId: objectId, environmentId: objectId }),
  ])
  .openapi('Scope');

export const grantInputSchema = z.strictObject({ role: z.enum(roles), scope: scopeSchema }).openapi('GrantInput');

export const grantSchema = z
  .object({ id: z.string(), role: z.enum(roles), scope: scopeSchema, createdAt: z.string() })
  .openapi('Grant');

export const tokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires.' }),
    tokenType: z.literal('Bearer'),
  })
  .openapi('TokenPair');

export const userSchema = z
  .object({
    id: z.string(),
    orgId: z.string(),
    email: z.string(),
    displayName: z.string(),
    disabled: z.boolean(),
    hasPassword: z.boolean(),
    createdAt: z.string(),
    grants: z.array(grantSchema),
  })
  .openapi('User');

export const ciTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    projectId: z.string(),
    environmentId: z.string(),
    actions: z.array(z.enum(ciActions)),
    createdBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
    lastUsedAt: z.string().optional(),
  })
  .openapi('CiToken');

export function toGrantView(grant: RoleGrantRecord): z.infer<typeof grantSchema> {
  return { id: grant.id, role: grant.role, scope: grant.scope, createdAt: grant.createdAt };
}

export function toUserView(user: UserRecord, grants: RoleGrantRecord[]): z.infer<typeof userSchema> {
  return {
    id: user.id,
    orgId: user.orgId,
    email: user.email,
    displayName: user.displayName,
    disabled: user.disabled,
    hasPassword: user.passwordHash !== undefined,
    createdAt: user.createdAt,
    grants: grants.map(toGrantView),
  };
}

export function toCiTokenView(token: CiTokenRecord): z.infer<typeof ciTokenSchema> {
  return {
    id: token.id,
    name: token.name,
    projectId: token.projectId,
    environmentId: token.environmentId,
    actions: token.actions,
    createdBy: token.createdBy,
    createdAt: token.createdAt,
    ...(token.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
    ...(token.revokedAt === undefined ? {} : { revokedAt: token.revokedAt }),
    ...(token.lastUsedAt === undefined ? {} : { lastUsedAt: token.lastUsedAt }),
  };
}
