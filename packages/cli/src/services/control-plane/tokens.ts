import { z } from 'zod';
import { resolveEnvironment } from './catalog.js';
import type { ControlPlaneClient } from './client.js';

export const ciActions = ['submit', 'apply', 'read'] as const;
export type CiAction = (typeof ciActions)[number];

export const ciTokenSchema = z.object({
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
});
export type CiToken = z.infer<typeof ciTokenSchema>;

const createdTokenSchema = ciTokenSchema.extend({ token: z.string().min(1) });
export type CreatedCiToken = z.infer<typeof createdTokenSchema>;

/**
 * Creates a CI token scoped to one environment. The answer is the only time its secret is seen.
 *
 * @example
 * const { token } = await createToken(client, { name: 'deploy', env: 'prod', project: 'shop', actions: ['apply'] });
 */
export async function createToken(
  client: ControlPlaneClient,
  input: {
    name: string;
    env: string;
    project?: string | undefined;
    actions: CiAction[];
    expiresInDays?: number | undefined;
  },
): Promise<CreatedCiToken> {
  const environment = await resolveEnvironment(client, input.env, input.project);
  return client.post(
    '/v1/tokens',
    {
      name: input.name,
      projectId: environment.projectId,
      environmentId: environment.id,
      actions: input.actions,
      ...(input.expiresInDays === undefined ? {} : { expiresInDays: input.expiresInDays }),
    },
    createdTokenSchema,
  );
}

export async function listTokens(client: ControlPlaneClient): Promise<CiToken[]> {
  return (await client.get('/v1/tokens', z.object({ tokens: z.array(ciTokenSchema) }))).tokens;
}

export async function revokeToken(client: ControlPlaneClient, id: string): Promise<{ id: string; revoked: true }> {
  await client.delete(`/v1/tokens/${encodeURIComponent(id)}`);
  return { id, revoked: true };
}
