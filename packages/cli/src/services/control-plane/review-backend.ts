import { z } from 'zod';
import type { ReviewBackend, ReviewDetail, ReviewItem } from '../../ui/views/review-app.js';
import type { FleetAgent, PendingChange } from '../../ui/views/status-view.js';
import { decide } from './approvals.js';
import { getChange, listChanges } from './changes.js';
import type { ControlPlaneClient } from './client.js';
import type { SecretStore } from './keystore.js';

/**
 * What `isotyp review` does, through the same services as `isotyp changes list`, `changes show`,
 * `approve` and `reject`: nothing here the commands do not do.
 */
export function reviewBackend(client: ControlPlaneClient, store: SecretStore): ReviewBackend {
  return {
    list: async () =>
      (await listChanges(client, { states: ['submitted', 'in_review'], limit: 100 }))
        .changes as unknown as ReviewItem[],
    load: async (id) => (await getChange(client, id)) as unknown as ReviewDetail,
    decide: async (id, decision, reason) => {
      const result = await decide(client, store, { id, decision, ...(reason === undefined ? {} : { reason }) });
      return `${decision === 'approve' ? 'Approved' : 'Rejected'} layer ${result.layer} of ${id}; the change is now ${result.change.state}.`;
    },
  };
}

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

/** `isotyp status`: the organisation's agents and the changes in flight. */
export async function readStatus(
  client: ControlPlaneClient,
): Promise<{ agents: FleetAgent[]; changes: PendingChange[] }> {
  const [agents, changes] = await Promise.all([
    listAgents(client),
    listChanges(client, { states: ['submitted', 'in_review', 'approved', 'applying'], limit: 200 }),
  ]);
  return { agents, changes: changes.changes as unknown as PendingChange[] };
}
