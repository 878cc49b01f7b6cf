import { type ChangeState, IsotypError } from '@isotyp/protocol';
import type { Permission } from '../identity/rbac.js';

/**
 * The change lifecycle as data: for each state reached through an explicit request, the states
 * it may come from and the permission the caller needs. `in_review`, `approved` and
 * `rejected` are reached only by recording signed approvals; `superseded` only by a newer
 * submission for the same target. A transition runs as one compare-and-set in the store, so two
 * callers racing for the same step cannot both take it.
 */
export const requestedTransitions = {
  submitted: { from: ['draft'], permission: 'change:submit' },
  applying: { from: ['approved'], permission: 'change:apply' },
  applied: { from: ['applying'], permission: 'change:apply' },
  failed: { from: ['applying'], permission: 'change:apply' },
  rolled_back: { from: ['applied', 'failed'], permission: 'change:apply' },
  expired: { from: ['draft', 'submitted', 'in_review', 'approved'], permission: 'org:admin' },
} as const satisfies Partial<Record<ChangeState, { from: readonly ChangeState[]; permission: Permission }>>;

export type RequestedState = keyof typeof requestedTransitions;
export const requestedStates = Object.keys(requestedTransitions) as RequestedState[];

/** States in which approvals are still collected. */
export const reviewStates: readonly ChangeState[] = ['submitted', 'in_review'];
/**
 * States a newer submission for the same target supersedes. Not `approved`: a later submission
 * (a CI job's, say) must not throw away collected approvals; if both get applied, the second
 * starts from a digest that is no longer live and the agent refuses it.
 */
export const openStates: readonly ChangeState[] = ['draft', 'submitted', 'in_review'];

/** ISOTYP_INVALID_STATE naming where the change is and what the step needs. */
export function invalidState(id: string, state: ChangeState, to: string, from: readonly ChangeState[]): IsotypError {
  return new IsotypError(
    'ISOTYP_INVALID_STATE',
    `Change ${id} is ${state}; ${to} needs it to be ${from.join(' or ')}.`,
    {
      hint: 'Fetch the change (isotyp changes show ID) to see its current state.',
      details: { id, state, to, from },
    },
  );
}
