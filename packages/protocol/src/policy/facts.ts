import type { z } from 'zod';
import type { LintFinding, Manifest, PrivacyMode, semverBumpSchema } from '../messages/change-request.js';
import type { Risk } from '../messages/plan.js';

/** The semantic-version bump a plan causes. */
export type SemverBump = z.infer<typeof semverBumpSchema>;

/** One object a change touches, as the manifest names it (absent in `digest` privacy mode). */
export interface ObjectFact {
  kind: string;
  namespace: string | null;
  name: string;
  action: string;
}

/**
 * What a policy condition sees as `change`. It is built only from what the control plane may
 * see (the privacy-filtered manifest and lint rule ids), so the agent, recomputing it from its
 * own plan, reaches exactly the same facts — and never feeds DDL text into a condition.
 */
export interface ChangeFacts {
  bump: SemverBump;
  risk: Risk;
  dataLoss: boolean;
  nonTransactional: boolean;
  opCount: number;
  /** action → number of operations with that action, e.g. `{"drop-column": 2}`. */
  actions: Record<string, number>;
  /** Distinct lint rule ids, sorted. */
  lintRules: string[];
  /** Findings of severity `error`. */
  lintErrors: number;
  /** Present only when the manifest names objects (`structure` and `full` modes). */
  objects?: ObjectFact[];
}

/** What a policy condition sees as `environment`. */
export interface EnvironmentFacts {
  id: string;
  name: string;
  privacyMode: PrivacyMode;
  project: string;
}

/**
 * Builds the `change` facts for policy conditions. Both the control plane and the agent call
 * this, so the same manifest, lint and bump always yield the same facts. Fields are copied one
 * by one: anything else in the manifest (such as DDL) never reaches a condition.
 *
 * @example
 * const facts = changeFacts(request.manifest, request.lint, request.bump);
 * facts.lintRules; // ['destructive/drop-column']
 */
export function changeFacts(manifest: Manifest, lint: readonly LintFinding[], bump: SemverBump): ChangeFacts {
  const facts: ChangeFacts = {
    bump,
    risk: manifest.risk,
    dataLoss: manifest.dataLoss,
    nonTransactional: manifest.nonTransactional,
    opCount: manifest.opCount,
    actions: Object.fromEntries(Object.entries(manifest.actions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    lintRules: [...new Set(lint.map((finding) => finding.rule))].sort(),
    lintErrors: lint.filter((finding) => finding.severity === 'error').length,
  };
  if (manifest.objects !== undefined) {
    facts.objects = manifest.objects.map(({ kind, namespace, name, action }) => ({ kind, namespace, name, action }));
  }
  return facts;
}
