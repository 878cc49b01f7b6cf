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

const fleetSchema = z.object({
  agents: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      certificateNotAfter: z.string(),
      revokedAt: z.string().optional(),
      lastSeenAt: z.string().optional(),
      version: z.string().optional(),
      stale: z.boolean().optional(),
      report: z.unknown().optional(),
    }),
  ),
});

/** `isotyp status`: the organisation's agents and the changes in flight. */
export async function readStatus(
  client: ControlPlaneClient,
): Promise<{ agents: FleetAgent[]; changes: PendingChange[] }> {
  const [fleet, changes] = await Promise.all([
    client.get('/v1/agents', fleetSchema),
    listChanges(client, { states: ['submitted', 'in_review', 'approved', 'applying'], limit: 200 }),
  ]);
  return { agents: fleet.agents, changes: changes.changes as unknown as PendingChange[] };
}
