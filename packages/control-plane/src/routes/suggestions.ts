import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  IsotypError,
  type JsonValue,
  type PrivacyMode,
  type SuggestionReport,
  type SuggestionState,
  suggestionReportSchema,
  suggestionStateSchema,
} from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv, Principal } from '../context.js';
import { can } from '../identity/rbac.js';
import { objectId } from '../identity/schemas.js';
import { newId } from '../ids.js';
import { type Store, type SuggestionRecord, type SuggestionReview, suggestionStateAt } from '../storage/store.js';
import { actorOf, allow, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';
import {
  reporterTarget,
  scopeOf,
  security,
  suggestionList,
  suggestionSchema,
  suggestionView,
  tags,
} from './suggestion-views.js';

/** The most suggestions one report may carry (an advisor run on one target). */
export const MAX_SUGGESTIONS_PER_REPORT = 500;
const DAY_MS = 24 * 3600 * 1000;

const decisions = { accept: 'accepted', reject: 'rejected', snooze: 'snoozed' } as const;
type Decision = keyof typeof decisions;
/** Only these are open to a decision; a decided suggestion stays decided (reports keep the review). */
const reviewable: readonly SuggestionState[] = ['new', 'snoozed'];

/**
 * Schema-advisor suggestions (issue 8): agents report them per target as metadata (kind, score,
 * object names as the privacy mode allows, the proposal's digest), people review them, the agent
 * drafts a plan from each accepted one and attaches it, and a person signs and submits that plan
 * as a change (an agent cannot author one). These routes report, list, read and review; the
 * drafting steps are in suggestion-drafts.ts.
 *
 * Who may do what: an enrolled agent reports for, attaches plans to, and notes drafts on, the
 * targets in its care only; a person or CI token needs `change:submit` at the target. Reviewing
 * needs `change:submit` too, and a person: accepting one starts a change on the target, which is an author's step — the
 * change then still needs its approvals, so approvers stay independent of what they approve.
 * Reading needs `change:read`.
 */
export function suggestionRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/targets/{targetId}/suggestions',
      tags,
      security,
      summary: 'Report a target’s schema-advisor suggestions (its agent, or change:submit at the target).',
      description:
        'Metadata only, already filtered by the environment’s privacy mode (no object names in `digest` mode). A digest the target already has refreshes that suggestion and keeps its review.',
      request: {
        params: z.object({ targetId: objectId }),
        body: jsonBody(
          z.strictObject({ suggestions: z.array(suggestionReportSchema).max(MAX_SUGGESTIONS_PER_REPORT) }),
        ),
      },
      responses: {
        200: jsonResponse(
          z.object({ created: z.number().int(), updated: z.number().int() }),
          'How many were new, and how many were known already.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const { targetId } = c.req.valid('param');
      const { suggestions } = c.req.valid('json');
      const target = await reporterTarget(store, c, targetId);
      const principal = c.get('principal') as Principal;
      const environment = found(
        await store.environments.get(target.orgId, target.environmentId),
        'environment',
        target.environmentId,
      );
      checkReportPrivacy(environment.privacyMode, suggestions);
      const at = now();
      const time = at.toISOString();
      const actor = actorOf(principal);
      const records = suggestions.map(
        (report): SuggestionRecord => ({
          ...report,
          id: newId('sug'),
          orgId: target.orgId,
          projectId: target.projectId,
          environmentId: target.environmentId,
          targetId: target.id,
          objects: report.objects as JsonValue,
          state: 'new',
          reportedBy: actor,
          createdAt: time,
          updatedAt: time,
          lastSeenAt: time,
        }),
      );
      const counts = await store.suggestions.report(records);
      // Refreshes of known proposals come with every advisor run; only new ones are events.
      if (counts.created > 0) {
        await appendAudit(
          store,
          {
            orgId: target.orgId,
            actor,
            action: 'suggestion.report',
            entity: { kind: 'target', id: target.id },
            details: { ...counts, digests: suggestions.map((s) => s.digest) },
          },
          at,
        );
      }
      return c.json(counts, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/suggestions',
      tags,
      security,
      summary: 'Suggestions on the targets you can read, highest score first (then oldest first).',
      request: {
        query: z.object({
          targetId: z.string().max(128).optional(),
          state: z.union([suggestionStateSchema, z.array(suggestionStateSchema)]).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: { 200: jsonResponse(suggestionList, 'The suggestions.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'change:read', undefined, true);
      const { targetId, state, limit } = c.req.valid('query');
      const targetIds = await readableTargets(store, principal, targetId);
      const time = now().toISOString();
      const rows = await store.suggestions.list(principal.orgId, {
        ...(targetIds === undefined ? {} : { targetIds }),
        ...(state === undefined ? {} : { states: Array.isArray(state) ? state : [state] }),
        now: time,
        limit,
      });
      return c.json({ suggestions: rows.map((row) => suggestionView(row, time)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/suggestions/{id}',
      tags,
      security,
      summary: 'One suggestion, with its review.',
      request: { params: z.object({ id: objectId }) },
      responses: { 200: jsonResponse(suggestionSchema, 'The suggestion.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'change:read', undefined, true);
      const { id } = c.req.valid('param');
      const suggestion = found(await store.suggestions.get(principal.orgId, id), 'suggestion', id);
      allow(c, 'change:read', scopeOf(suggestion));
      return c.json(suggestionView(suggestion, now().toISOString()), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/suggestions/{id}/review',
      tags,
      security,
      summary: 'Accept, reject (with a reason) or snooze a new or snoozed suggestion (a person with change:submit).',
      description:
        'Accepting one asks the target’s agent to draft a change from it, which then goes through review like any other.',
      request: {
        params: z.object({ id: objectId }),
        body: jsonBody(
          z.strictObject({
            decision: z.enum(['accept', 'reject', 'snooze']),
            reason: z.string().trim().min(1).max(2000).optional(),
            snoozeDays: z.number().int().min(1).max(90).optional().openapi({ description: 'For snooze; default 7.' }),
          }),
        ),
      },
      responses: {
        200: jsonResponse(suggestionSchema, 'The suggestion after the decision.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:submit', undefined, true);
      if (principal.kind !== 'user') {
        throw new IsotypError('ISOTYP_FORBIDDEN', 'Suggestions are reviewed by people.', {
          hint: 'Sign in as yourself (isotyp login) to review suggestions.',
        });
      }
      const { id } = c.req.valid('param');
      const { decision, reason, snoozeDays } = c.req.valid('json');
      const suggestion = found(await store.suggestions.get(principal.orgId, id), 'suggestion', id);
      allow(c, 'change:submit', scopeOf(suggestion));
      checkDecision(decision, suggestion, reason, snoozeDays);
      const at = now();
      const time = at.toISOString();
      const from = suggestionStateAt(suggestion, time);
      if (!reviewable.includes(from)) throw notReviewable(suggestion, time);
      const review: SuggestionReview = {
        from: reviewable,
        to: decisions[decision],
        reviewerUserId: principal.userId,
        now: time,
        ...(reason === undefined ? {} : { reason }),
        ...(decision === 'snooze'
          ? { snoozedUntil: new Date(at.getTime() + (snoozeDays ?? 7) * DAY_MS).toISOString() }
          : {}),
      };
      const updated = await store.suggestions.review(principal.orgId, id, review);
      if (updated === undefined) {
        throw notReviewable(found(await store.suggestions.get(principal.orgId, id), 'suggestion', id), time);
      }
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: `suggestion.${decision}`,
          entity: { kind: 'suggestion', id },
          details: {
            from,
            targetId: suggestion.targetId,
            digest: suggestion.digest,
            reason: reason ?? null,
            snoozedUntil: review.snoozedUntil ?? null,
          },
        },
        at,
      );
      return c.json(suggestionView(updated, time), 200);
    },
  );

  return app;
}

/**
 * The ids of the targets the caller may read changes on, when that is not every target of the
 * organisation (undefined then); narrowed to `targetId` when one is asked for. Filtering before
 * the limit keeps a page full for a caller who sees only part of the organisation.
 */
async function readableTargets(
  store: Store,
  principal: Principal,
  targetId: string | undefined,
): Promise<readonly string[] | undefined> {
  const targets = await store.targets.list(principal.orgId, {});
  const readable = targets.filter((t) => can(principal, 'change:read', scopeOf(t))).map((t) => t.id);
  if (targetId !== undefined) return readable.filter((id) => id === targetId);
  return readable.length === targets.length ? undefined : readable;
}

/**
 * The server's own check of the privacy mode (the agent filters before sending): in `digest`
 * mode no object names cross. Refused like a change submission that carries too much.
 */
function checkReportPrivacy(mode: PrivacyMode, reports: readonly SuggestionReport[]): void {
  if (mode !== 'digest') return;
  const named = reports.filter((report) => report.objects.length > 0);
  if (named.length === 0) return;
  throw new IsotypError(
    'ISOTYP_INVALID_INPUT',
    `This environment's privacy mode is ${mode}; ${named.length} suggestion(s) carry object names.`,
    {
      hint: 'Send the reports as suggestionReport(suggestion, mode) makes them: no objects in digest mode.',
      details: { mode, digests: named.slice(0, 10).map((report) => report.digest) },
    },
  );
}

function checkDecision(
  decision: Decision,
  suggestion: SuggestionRecord,
  reason: string | undefined,
  snoozeDays: number | undefined,
): void {
  if (decision === 'reject' && reason === undefined) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'A rejection needs a reason.', {
      hint: 'Say why in reason (isotyp suggestions reject ID --reason TEXT); the advisor’s owners read it.',
    });
  }
  if (decision !== 'snooze' && snoozeDays !== undefined) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'snoozeDays goes with decision snooze only.', {
      hint: 'Leave snoozeDays out, or snooze.',
    });
  }
  if (decision === 'accept' && suggestion.editCount === 0) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `Suggestion ${suggestion.id} proposes no edit to draft a change from.`,
      {
        hint: 'It asks a person to look: do so, then reject or snooze it.',
      },
    );
  }
}

function notReviewable(suggestion: SuggestionRecord, now: string): IsotypError {
  const state = suggestionStateAt(suggestion, now);
  return new IsotypError(
    'ISOTYP_INVALID_STATE',
    `Suggestion ${suggestion.id} is ${state}; only a new or snoozed suggestion can be reviewed.`,
    {
      hint: 'Show it (isotyp suggestions list --json) to see who decided and why.',
      details: { id: suggestion.id, state, reviewerUserId: suggestion.reviewerUserId ?? null },
    },
  );
}
