import { z } from '@hono/zod-openapi';
import {
  IsotypError,
  type objectRefSchema,
  type SuggestionDraft,
  storedSuggestionSchema,
  suggestionStates,
} from '@isotyp/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { type Store, type SuggestionRecord, suggestionStateAt, type TargetRecord } from '../storage/store.js';
import { allow, found } from './route-kit.js';

/*
 * What the suggestion routes share: how a suggestion reads over the API, who may report on a
 * target, and why a change cannot be drafted from one. People review suggestions in
 * suggestions.ts; agents draft plans from accepted ones in suggestion-drafts.ts.
 */

export const tags = ['suggestions'];
export const security = [{ bearerAuth: [] }];

// The protocol's shapes, in this package's zod so they can be named and described in the
// OpenAPI document.
const draftSchema = z
  .object(storedSuggestionSchema.shape.draft.unwrap().shape)
  .openapi('SuggestionDraft', { description: 'The plan the target’s agent drafted from the accepted suggestion.' });
export const suggestionSchema = z
  .object(storedSuggestionSchema.shape)
  .extend({
    state: z.enum(suggestionStates).openapi({ description: 'As of now: a snooze that has ended reads `new`.' }),
    changeId: z.string().optional().openapi({ description: 'The change drafted from it, once accepted.' }),
    draft: draftSchema.optional(),
  })
  .openapi('Suggestion');
export const suggestionList = z.object({ suggestions: z.array(suggestionSchema) });

export const suggestionView = (record: SuggestionRecord, now: string): z.infer<typeof suggestionSchema> => {
  const { orgId: _org, objects, state: _stored, draft, draftedAt, ...rest } = record;
  return {
    ...rest,
    objects: objects as z.infer<typeof objectRefSchema>[],
    state: suggestionStateAt(record, now),
    // Stored as validated by `suggestionDraftSchema`; the two columns are set together.
    ...(draft === undefined || draftedAt === undefined ? {} : { draft: { ...(draft as SuggestionDraft), draftedAt } }),
  };
};
export const scopeOf = (object: { projectId: string; environmentId: string }) => ({
  projectId: object.projectId,
  environmentId: object.environmentId,
});

/** The target, if the caller may report on it: its agent, or `change:submit` at its scope. */
export async function reporterTarget(store: Store, c: Context<AppEnv>, targetId: string): Promise<TargetRecord> {
  const principal = c.get('principal');
  const permission = principal?.kind === 'agent' ? 'agent:report' : 'change:submit';
  const caller = allow(c, permission, undefined, true);
  const target = found(await store.targets.get(caller.orgId, targetId), 'target', targetId);
  if (caller.kind !== 'agent') allow(c, permission, scopeOf(target));
  else if (target.agentId !== caller.agentId) {
    throw new IsotypError('ISOTYP_FORBIDDEN', `Target ${targetId} is not in this agent’s care.`, {
      hint: 'An admin assigns the target to the agent (POST /v1/targets/{targetId}/agent).',
      details: { targetId },
    });
  }
  return target;
}

/** Why a change (or, for `plan`, a plan) cannot be drafted from the suggestion now. */
export function notDraftable(
  suggestion: SuggestionRecord,
  now: string,
  what: 'change' | 'plan' = 'change',
): IsotypError {
  const state = suggestionStateAt(suggestion, now);
  if (state === 'accepted') {
    return new IsotypError(
      'ISOTYP_CONFLICT',
      `Suggestion ${suggestion.id} already has change ${suggestion.changeId}.`,
      {
        hint:
          what === 'change'
            ? 'One change is drafted per accepted suggestion.'
            : 'Its plan is settled once a change is drafted from it; review that change instead.',
        details: { id: suggestion.id, changeId: suggestion.changeId ?? null },
      },
    );
  }
  return new IsotypError(
    'ISOTYP_INVALID_STATE',
    `Suggestion ${suggestion.id} is ${state}; a ${what} is drafted only from an accepted one.`,
    { hint: 'A person accepts it first (isotyp suggestions accept ID).', details: { id: suggestion.id, state } },
  );
}
