import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { checkApproval, evaluateApprovals, IsotypError, type JsonValue } from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidState, reviewStates } from '../changes/lifecycle.js';
import { reviewContext } from '../changes/review.js';
import { changeSchema, changeView } from '../changes/view.js';
import type { AppEnv } from '../context.js';
import { newId } from '../ids.js';
import { actorOf, allow, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';

/**
 * Recording a signed approval or rejection. The control plane checks it with the same protocol
 * functions the agent uses later (binding to this change, target, plan and policy version;
 * keyring role; expiry; separation of duties; nonce never seen), so a bad one is answered 4xx
 * at once — but the agent does not rely on this check: it verifies every signature again.
 */
export function approvalRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/changes/{id}/approvals',
      tags: ['changes'],
      summary: 'Record a signed approval or rejection of one policy layer (Idempotency-Key required).',
      request: {
        params: z.object({ id: z.string().min(1).max(128) }),
        body: jsonBody(z.strictObject({ envelope: z.record(z.string(), z.unknown()) })),
      },
      responses: {
        201: jsonResponse(changeSchema, 'The change after the approval.'),
        ...authErrors,
        409: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:approve', undefined, true);
      if (principal.kind !== 'user') {
        throw new IsotypError('ISOTYP_FORBIDDEN', 'Only people approve changes.', {
          hint: 'Sign in with isotyp login.',
        });
      }
      const { id } = c.req.valid('param');
      const change = found(await store.changes.get(principal.orgId, id), 'change', id);
      allow(c, 'change:approve', { projectId: change.projectId, environmentId: change.environmentId });
      if (!reviewStates.includes(change.state)) throw invalidState(id, change.state, 'an approval', reviewStates);
      const at = now();
      const context = await reviewContext(store, change, at);
      const stored = await store.approvals.forChange(principal.orgId, id);
      const envelope = c.req.valid('json').envelope;
      const accepted = checkApproval({ ...context, approval: envelope, accepted: stored.map((a) => a.envelope) });
      // You sign with your own key: the keyring names whose key it is.
      if (accepted.userId !== principal.userId) {
        throw new IsotypError(
          'ISOTYP_APPROVAL_INVALID',
          'The approval is signed with a key that belongs to somebody else.',
          {
            hint: 'Sign with your own approver key (isotyp approve does).',
          },
        );
      }
      const nonce = (envelope.payload as { nonce: string }).nonce;
      await store.approvals.create({
        id: newId('apr'),
        orgId: principal.orgId,
        changeId: id,
        layer: accepted.layer,
        decision: accepted.decision,
        userId: accepted.userId,
        keyId: accepted.keyId,
        nonce,
        expiresAt: accepted.expiresAt,
        envelope: envelope as JsonValue,
        createdAt: at.toISOString(),
      });
      const actor = actorOf(principal);
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor,
          action: `change.${accepted.decision}`,
          entity: { kind: 'change', id },
          details: { layer: accepted.layer, keyId: accepted.keyId },
        },
        at,
      );
      const evaluation = evaluateApprovals({ ...context, approvals: [...stored.map((a) => a.envelope), envelope] });
      const next =
        evaluation.status === 'approved' ? 'approved' : evaluation.status === 'rejected' ? 'rejected' : 'in_review';
      let updated = change;
      if (next !== change.state) {
        const moved = await store.changes.transition(principal.orgId, id, reviewStates, next, at.toISOString());
        if (moved !== undefined) {
          updated = moved;
          if (next !== 'in_review')
            await appendAudit(
              store,
              { orgId: principal.orgId, actor: 'system', action: `change.${next}`, entity: { kind: 'change', id } },
              at,
            );
        } else {
          updated = found(await store.changes.get(principal.orgId, id), 'change', id);
        }
      }
      return c.json({ ...changeView(updated), review: evaluation as unknown as JsonValue }, 201);
    },
  );

  return app;
}
