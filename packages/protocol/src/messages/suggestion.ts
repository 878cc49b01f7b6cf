import { z } from 'zod';
import { type Digest, digest, digestSchema } from '../digest.js';
import { lintFindingSchema, manifestSchema, type PrivacyMode, semverBumpSchema } from './change-request.js';
import { objectNameSchema } from './common.js';
import { objectRefSchema, riskSchema } from './plan.js';
import { indexSchema } from './schema-model.js';

/*
 * Schema-advisor suggestions. The agent finds them at the site (rules over the schema model and,
 * on PostgreSQL, its statistics; optionally a site-local LLM), scores them with
 * `suggestionScore`, and a person reviews them. What reaches the control plane is metadata: the
 * kind, the score, object names as the environment's privacy mode allows, and the digest of the
 * proposal — never the proposal's SQL, never a row.
 */

/** What the advisor looks for. Append only: stored suggestions and the docs name these. */
export const suggestionKinds = [
  'fk-without-index',
  'duplicate-index',
  'redundant-index',
  'unused-index',
  'missing-primary-key',
  'seq-scan-heavy',
  'timestamp-without-time-zone',
  'int-key-overflow',
  'nullable-without-nulls',
  'llm',
] as const;
export const suggestionKindSchema = z.enum(suggestionKinds);
export type SuggestionKind = z.infer<typeof suggestionKindSchema>;

const name = objectNameSchema;
const where = { namespace: name, table: name };

/**
 * One edit to the desired state, as the advisor proposes it: applied to the live schema model, it
 * gives the desired model that `isotyp plan` then plans like any other. Kept structural (not
 * SQL) so it can be checked, planned, digested, and shown without running anything.
 */
export const schemaEditSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add-index'), ...where, index: indexSchema }),
  z.strictObject({ op: z.literal('drop-index'), ...where, index: name }),
  z.strictObject({ op: z.literal('add-primary-key'), ...where, columns: z.array(name).min(1).max(32) }),
  z.strictObject({ op: z.literal('alter-column-type'), ...where, column: name, type: z.string().min(1).max(200) }),
  z.strictObject({ op: z.literal('set-not-null'), ...where, column: name }),
]);
export type SchemaEdit = z.infer<typeof schemaEditSchema>;

export const suggestionImpactSchema = z.enum(['low', 'medium', 'high']);
export type SuggestionImpact = z.infer<typeof suggestionImpactSchema>;

/** A local measurement behind a suggestion (counts, ratios, sizes): numbers and words, never rows. */
const evidenceValue = z.union([z.string().max(200), z.number(), z.boolean()]);

export const suggestionSchema = z.strictObject({
  kind: suggestionKindSchema,
  source: z.enum(['rule', 'llm']),
  /** The objects it is about, the first being the one it changes. */
  objects: z.array(objectRefSchema).min(1).max(50),
  /** Why, in a sentence or two. */
  rationale: z.string().min(1).max(2000),
  /** The proposed change; empty for a suggestion that asks a person to look (no safe edit known). */
  edits: z.array(schemaEditSchema).max(50),
  impact: suggestionImpactSchema,
  /** How sure the advisor is that this is a real problem here, 0..1. */
  confidence: z.number().min(0).max(1),
  /** The risk of applying the proposed change. */
  risk: riskSchema,
  /** `suggestionScore(impact, confidence, risk)`: 0..100, higher first. */
  score: z.number().int().min(0).max(100),
  evidence: z.record(z.string().max(64), evidenceValue).optional(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

/** Weights of the score (docs/concepts/advisor.md). */
export const IMPACT_WEIGHT: Record<SuggestionImpact, number> = { low: 0.35, medium: 0.65, high: 1 };
export const RISK_FACTOR: Record<z.infer<typeof riskSchema>, number> = { safe: 1, caution: 0.8, destructive: 0.55 };

/**
 * The score every suggestion carries, rule-based or from an LLM alike:
 *
 *   score = round(100 × impactWeight × confidence × riskFactor)
 *
 * impactWeight: low 0.35, medium 0.65, high 1; riskFactor: safe 1, caution 0.8,
 * destructive 0.55. So a sure, high-impact, safe change scores 100, and the same change that
 * would drop something scores 55: a person sees the cheap wins first.
 *
 * @example
 * suggestionScore({ impact: 'high', confidence: 0.9, risk: 'safe' }) // 90
 */
export function suggestionScore(input: Pick<Suggestion, 'impact' | 'confidence' | 'risk'>): number {
  const confidence = Math.min(1, Math.max(0, input.confidence));
  return Math.round(100 * IMPACT_WEIGHT[input.impact] * confidence * RISK_FACTOR[input.risk]);
}

/**
 * The digest of what a suggestion proposes (kind, objects, edits): the same proposal found twice
 * has one digest, which is how the control plane knows it has already seen it, and how a plan
 * drafted from an accepted suggestion names where it came from.
 */
export function suggestionDigest(suggestion: Pick<Suggestion, 'kind' | 'objects' | 'edits'>): Digest<'suggestion'> {
  return digest('suggestion', { kind: suggestion.kind, objects: suggestion.objects, edits: suggestion.edits });
}

/**
 * What the control plane stores of a suggestion: everything but the edits, which stay at the
 * site (their digest travels instead). `objects` is filtered by the environment's privacy mode
 * before it is sent: in `digest` mode it is empty.
 */
export const suggestionReportSchema = z.strictObject({
  digest: digestSchema,
  kind: suggestionKindSchema,
  source: z.enum(['rule', 'llm']),
  objects: z.array(objectRefSchema).max(50),
  impact: suggestionImpactSchema,
  confidence: z.number().min(0).max(1),
  risk: riskSchema,
  score: z.number().int().min(0).max(100),
  /** How many edits the proposal has (0: look, do not change). */
  editCount: z.number().int().min(0).max(50),
});
export type SuggestionReport = z.infer<typeof suggestionReportSchema>;

/** Review states of a stored suggestion. */
export const suggestionStates = ['new', 'accepted', 'rejected', 'snoozed'] as const;
export const suggestionStateSchema = z.enum(suggestionStates);
export type SuggestionState = z.infer<typeof suggestionStateSchema>;

/**
 * The plan an agent drafted from an accepted suggestion, as it attaches it
 * (POST /v1/agent/suggestions/{id}/plan): what a person then signs and submits as a change
 * request. Manifest and findings are already filtered for the environment's privacy mode.
 */
export const suggestionDraftSchema = z.strictObject({
  fromDigest: digestSchema,
  toDigest: digestSchema,
  planDigest: digestSchema,
  bump: semverBumpSchema,
  manifest: manifestSchema,
  lint: z.array(lintFindingSchema).max(1000),
  title: z.string().min(1).max(200),
});
export type SuggestionDraft = z.infer<typeof suggestionDraftSchema>;

/** A suggestion as the control plane shows it (GET /v1/suggestions): metadata, review, draft. */
export const storedSuggestionSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  environmentId: z.string(),
  targetId: z.string(),
  digest: z.string(),
  kind: suggestionKindSchema,
  source: z.enum(['rule', 'llm']),
  objects: z.array(objectRefSchema),
  impact: suggestionImpactSchema,
  confidence: z.number(),
  risk: riskSchema,
  score: z.number().int(),
  editCount: z.number().int(),
  /** As of now: a snooze that has ended reads `new`. */
  state: suggestionStateSchema,
  reviewerUserId: z.string().optional(),
  reason: z.string().optional(),
  reviewedAt: z.string().optional(),
  snoozedUntil: z.string().optional(),
  /** The change drafted from it, once accepted. */
  changeId: z.string().optional(),
  /** The plan the target's agent drafted from it, once accepted, and when. */
  draft: suggestionDraftSchema.extend({ draftedAt: z.string() }).optional(),
  reportedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastSeenAt: z.string(),
});
export type StoredSuggestion = z.infer<typeof storedSuggestionSchema>;

/**
 * The report of one suggestion for the control plane, filtered for the environment's privacy
 * mode: object names only in `structure` and `full`; the edits never (their digest stands in).
 *
 * @example
 * const report = suggestionReport(suggestion, 'digest'); // report.objects is []
 */
export function suggestionReport(suggestion: Suggestion, mode: PrivacyMode): SuggestionReport {
  return {
    digest: suggestionDigest(suggestion),
    kind: suggestion.kind,
    source: suggestion.source,
    objects: mode === 'digest' ? [] : suggestion.objects,
    impact: suggestion.impact,
    confidence: suggestion.confidence,
    risk: suggestion.risk,
    score: suggestion.score,
    editCount: suggestion.edits.length,
  };
}
