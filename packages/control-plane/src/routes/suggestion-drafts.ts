import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError, type JsonValue, suggestionDraftSchema } from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import { checkPlanForTarget } from '../changes/submission.js';
import type { AppEnv } from '../context.js';
import { objectId } from '../identity/schemas.js';
import { suggestionStateAt } from '../storage/store.js';
import { actorOf, allow, authErrors, errorResponse, found, jsonBody, jsonResponse, notFound } from './route-kit.js';
import {
  notDraftable,
  reporterTarget,
  security,
  suggestionList,
  suggestionSchema,
  suggestionView,
  tags,
} from './suggestion-views.js';

/**
 * From an accepted suggestion to a change (issue 8): the target's agent lists the accepted
 * suggestions in its care, drafts a plan from each and attaches it; a person signs and submits
 * that plan as a change, and the change is noted on the suggestion (by the agent, or by someone
 * with `change:submit` at the target). One change per suggestion; the plan is settled once it
 * has one.
 */
export function suggestionDraftRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/agent/suggestions/accepted',
      tags,
      security,
      summary:
        'An agent asks for the accepted suggestions on the targets in its care that have neither a plan nor a change drafted yet.',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: { 200: jsonResponse(suggestionList, 'Highest score first.'), ...authErrors },
    }),
    async (c) => {
      const principal = allow(c, 'agent:report', undefined, true);
      if (principal.kind !== 'agent') {
        throw new IsotypError('ISOTYP_FORBIDDEN', 'Only agents draft changes from accepted suggestions.', {
          hint: 'People list them with GET /v1/suggestions?state=accepted.',
        });
      }
      const { limit } = c.req.valid('query');
      const mine = (await store.targets.list(principal.orgId, {})).filter((t) => t.agentId === principal.agentId);
      const time = now().toISOString();
      const rows = await store.suggestions.list(principal.orgId, {
        targetIds: mine.map((t) => t.id),
        states: ['accepted'],
        drafted: false,
        planned: false,
        now: time,
        limit,
      });
      return c.json({ suggestions: rows.map((row) => suggestionView(row, time)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/agent/suggestions/{id}/plan',
      tags,
      security,
      summary: 'An agent attaches the plan it drafted from an accepted suggestion on a target in its care.',
      description:
        'Plan metadata only, filtered by the environment’s privacy mode as for POST /v1/changes. Posting again replaces the plan, until a change is noted as drafted from the suggestion. A person then signs and submits it as a change.',
      request: { params: z.object({ id: objectId }), body: jsonBody(suggestionDraftSchema) },
      responses: {
        200: jsonResponse(suggestionSchema, 'The suggestion, still accepted, with its plan.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'agent:report', undefined, true);
      if (principal.kind !== 'agent') {
        throw new IsotypError(
          'ISOTYP_FORBIDDEN',
          'Only agents attach the plans they draft from accepted suggestions.',
          {
            hint: 'Sign and submit the plan as a change instead (isotyp submit).',
          },
        );
      }
      const { id } = c.req.valid('param');
      const plan = c.req.valid('json');
      const suggestion = found(await store.suggestions.get(principal.orgId, id), 'suggestion', id);
      const target = await store.targets.get(principal.orgId, suggestion.targetId);
      // Another agent's suggestions are as invisible as another organisation's.
      if (target?.agentId !== principal.agentId) throw notFound('suggestion', id);
      const at = now();
      const time = at.toISOString();
      if (suggestionStateAt(suggestion, time) !== 'accepted' || suggestion.changeId !== undefined) {
        throw notDraftable(suggestion, time, 'plan');
      }
      await checkPlanForTarget(store, target, plan, 'attach the plan');
      const updated = await store.suggestions.attachDraft(principal.orgId, id, plan as unknown as JsonValue, time);
      // A person noted a change, or the suggestion was otherwise settled, since it was read.
      if (updated === undefined) {
        throw notDraftable(found(await store.suggestions.get(principal.orgId, id), 'suggestion', id), time, 'plan');
      }
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'suggestion.planned',
          entity: { kind: 'suggestion', id },
          details: {
            targetId: suggestion.targetId,
            digest: suggestion.digest,
            fromDigest: plan.fromDigest,
            toDigest: plan.toDigest,
            planDigest: plan.planDigest,
            bump: plan.bump,
            replaced: suggestion.draft !== undefined,
          },
        },
        at,
      );
      return c.json(suggestionView(updated, time), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/suggestions/{id}/drafted',
      tags,
      security,
      summary: 'Note the change drafted from an accepted suggestion (the target’s agent, or change:submit there).',
      request: { params: z.object({ id: objectId }), body: jsonBody(z.strictObject({ changeId: objectId })) },
      responses: {
        200: jsonResponse(suggestionSchema, 'The suggestion, still accepted, naming its change.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(
        c,
        c.get('principal')?.kind === 'agent' ? 'agent:report' : 'change:submit',
        undefined,
        true,
      );
      const { id } = c.req.valid('param');
      const { changeId } = c.req.valid('json');
      const suggestion = found(await store.suggestions.get(principal.orgId, id), 'suggestion', id);
      await reporterTarget(store, c, suggestion.targetId);
      const change = found(await store.changes.get(principal.orgId, changeId), 'change', changeId);
      if (change.targetId !== suggestion.targetId) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', `Change ${changeId} is on another target than the suggestion.`, {
          hint: 'Draft the change on the suggestion’s target.',
          details: { changeTarget: change.targetId, suggestionTarget: suggestion.targetId },
        });
      }
      const at = now();
      const time = at.toISOString();
      const updated = await store.suggestions.drafted(principal.orgId, id, changeId, time);
      if (updated === undefined) {
        const current = found(await store.suggestions.get(principal.orgId, id), 'suggestion', id);
        // A retry of the same note (its answer lost) finds it done.
        if (current.changeId === changeId) return c.json(suggestionView(current, time), 200);
        throw notDraftable(current, time);
      }
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: 'suggestion.drafted',
          entity: { kind: 'suggestion', id },
          details: { changeId, targetId: suggestion.targetId, digest: suggestion.digest },
        },
        at,
      );
      return c.json(suggestionView(updated, time), 200);
    },
  );

  return app;
}
