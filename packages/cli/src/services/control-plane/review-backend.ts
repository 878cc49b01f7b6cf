import type { ReviewBackend, ReviewDetail, ReviewItem } from '../../ui/views/review-app.js';
import type { FleetAgent, PendingChange } from '../../ui/views/status-view.js';
import { listAgents } from './agents.js';
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
