import { storedSuggestionSchema as protocolStoredSuggestion, type SuggestionState } from '@isotyp/protocol';
import { z } from 'zod';
import { findTarget } from './catalog.js';
import type { ControlPlaneClient } from './client.js';

/**
 * A schema-advisor suggestion as the control plane keeps it (the protocol's shape): metadata and
 * the proposal's digest, the edits staying at the site. Loose: fields a newer server adds are kept
 * for --json.
 */
export const storedSuggestionSchema = protocolStoredSuggestion.loose();
export type StoredSuggestion = z.infer<typeof storedSuggestionSchema>;

export interface ListSuggestionsInput {
  /** A target id or name. */
  target?: string | undefined;
  states?: SuggestionState[] | undefined;
  limit?: number | undefined;
}

/**
 * Suggestions on the targets you can read, highest score first; `target` takes an id or a name.
 *
 * @example
 * const { suggestions } = await listSuggestions(client, { target: 'orders-db', states: ['new'] });
 */
export async function listSuggestions(
  client: ControlPlaneClient,
  input: ListSuggestionsInput,
): Promise<{ suggestions: StoredSuggestion[] }> {
  const targetId = input.target === undefined ? undefined : (await findTarget(client, input.target)).id;
  return client.get('/v1/suggestions', z.object({ suggestions: z.array(storedSuggestionSchema) }), {
    targetId,
    state: input.states,
    limit: input.limit,
  });
}

/** A review decision: a rejection says why; a snooze lasts 1 to 90 days. */
export type SuggestionDecision =
  | { decision: 'accept'; reason?: string | undefined }
  | { decision: 'reject'; reason: string }
  | { decision: 'snooze'; days: number; reason?: string | undefined };

/**
 * Records your decision on a new or snoozed suggestion. Accepting one asks the target's agent to
 * draft a change from it, which is then reviewed like any other.
 *
 * @example
 * await reviewSuggestion(client, 'sug_3q2Xv9Kd0aBcYz1M', { decision: 'snooze', days: 14 });
 */
export async function reviewSuggestion(
  client: ControlPlaneClient,
  id: string,
  input: SuggestionDecision,
): Promise<StoredSuggestion> {
  const body = {
    decision: input.decision,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.decision === 'snooze' ? { snoozeDays: input.days } : {}),
  };
  return client.post(`/v1/suggestions/${encodeURIComponent(id)}/review`, body, storedSuggestionSchema);
}

/** What a suggestion is about, for a table cell: object names, or why there are none. */
export function describeObjects(suggestion: StoredSuggestion): string {
  if (suggestion.objects.length === 0) return '(names withheld: digest mode)';
  return suggestion.objects.map((o) => (o.namespace === null ? o.name : `${o.namespace}.${o.name}`)).join(', ');
}
