import { z } from 'zod';
import type { ControlPlaneClient } from './client.js';

/** An agent as GET /v1/agents shows it (isotyp agents list and isotyp status read it). */
export const agentRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  identityKeyId: z.string(),
  certificateNotAfter: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
  lastSeenAt: z.string().optional(),
  version: z.string().optional(),
  report: z.unknown().optional(),
  stale: z.boolean().optional(),
});

/** The organisation's agents. */
export async function listAgents(client: ControlPlaneClient): Promise<z.infer<typeof agentRowSchema>[]> {
  return (await client.get('/v1/agents', z.object({ agents: z.array(agentRowSchema) }))).agents;
}
