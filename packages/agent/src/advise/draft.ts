import { IsotypError, type Suggestion, suggestionDigest } from '@isotyp/protocol';
import { connectTarget } from '../inspect.js';
import { lintChange } from '../lint/lint.js';
import type { LocalPlan } from '../local.js';
import { createPlan } from '../plan/create-plan.js';
import { parseTargetUrl } from '../target/target-url.js';
import { plannerOf } from './advise.js';
import { applyEdits } from './edits.js';

/**
 * Drafts the plan an accepted suggestion proposes: the live schema, with the suggestion's edits
 * applied, is the desired state; it is planned and linted like `isotyp plan` does, so what comes
 * out is an ordinary plan that follows the ordinary lifecycle (submit, review, approve, apply).
 * `expectedDigest` is the digest the control plane holds for the suggestion: the local proposal
 * must be exactly the one that was accepted.
 *
 * @example
 * const plan = await draftFromSuggestion('sqlite:./app.db', suggestion, stored.digest);
 */
export async function draftFromSuggestion(
  targetUrl: string,
  suggestion: Suggestion,
  expectedDigest?: string,
): Promise<LocalPlan> {
  if (expectedDigest !== undefined && suggestionDigest(suggestion) !== expectedDigest) {
    throw new IsotypError('ISOTYP_DIGEST_MISMATCH', 'The suggestion kept here is not the one that was accepted.', {
      hint: 'Run isotyp suggest --report again against this target, then review the new suggestion.',
      details: { expected: expectedDigest, local: suggestionDigest(suggestion) },
    });
  }
  if (suggestion.edits.length === 0) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'This suggestion proposes no change to draft.', {
      hint: 'It asks a person to look into something; plan a change of your own with isotyp plan.',
    });
  }
  const target = parseTargetUrl(targetUrl);
  const connection = await connectTarget(targetUrl);
  try {
    const live = await connection.introspect();
    const desired = applyEdits(live, suggestion.edits);
    const result = createPlan(live, desired, plannerOf(live.dialect));
    if (result.plan.ops.length === 0) {
      throw new IsotypError('ISOTYP_CONFLICT', 'The database already has what the suggestion proposes.', {
        hint: 'Nothing to draft; reject or snooze the suggestion.',
      });
    }
    const lint = lintChange({
      dialect: live.dialect,
      from: live,
      to: desired,
      changes: result.changes,
      ops: result.plan.ops,
      rowCounts: await connection.rowCounts(),
    });
    return { target: target.display, ...result, lint, desiredCached: false };
  } finally {
    await connection.close();
  }
}
