import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  bumpVersion,
  changeStateSchema,
  IsotypError,
  type JsonValue,
  lintFindingSchema,
  MAX_CLOCK_SKEW_SECONDS,
  manifestSchema,
} from '@isotyp/protocol';
import { type AppDeps, createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidState, openStates, requestedStates, requestedTransitions } from '../changes/lifecycle.js';
import { evaluateChange } from '../changes/review.js';
import { checkPlanForTarget, verifySubmission } from '../changes/submission.js';
import { changeSchema, changeSummarySchema, changeSummaryView, changeView } from '../changes/view.js';
import type { AppEnv, Principal } from '../context.js';
import { can } from '../identity/rbac.js';
import { newId } from '../ids.js';
import { ReadCache } from '../storage/read-cache.js';
import type { ChangeRecord, Store } from '../storage/store.js';
import { approvalRoutes } from './approvals.js';
import {
  actorOf,
  allow,
  authErrors,
  errorResponse,
  found,
  jsonArrayAnswer,
  jsonBody,
  jsonResponse,
  jsonText,
  type SerialisedRows,
  serialiseRows,
} from './route-kit.js';

const idParam = z.object({ id: z.string().min(1).max(128) });

/**
 * Change requests: submit (signed by the author, privacy-filtered), list, show, and the
 * explicit lifecycle steps (applying → applied | failed → rolled_back, expiry). Approvals live in
 * `approvals.ts`. Every write is one compare-and-set on the change's state and one audit entry.
 */
export function changeRoutes(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const app = createRouter();
  // Reads are far more frequent than writes (consoles and CLIs poll): pages of changes, and each
  // change with its review, are kept until what they were read from changes. Who may see what is
  // still decided on every request.
  const changePages = new ReadCache<SerialisedRows<ChangeRecord>>(store, { tables: ['changes'], max: 1000 });
  const changePagesOf = (orgId: string, query: ChangeQuery) =>
    changePages.get(`${orgId}\n${JSON.stringify(query)}`, async () =>
      serialiseRows(await store.changes.list(orgId, query), changeSummaryView),
    );
  const reviewedChanges = new ReadCache<ReviewedChange>(store, {
    tables: ['changes', 'approvals', 'trustDocuments', 'environments'],
    max: 10_000,
    validUntil: (read) => read.validUntil,
    now: () => now().getTime(),
  });
  const reviewedChange = (orgId: string, id: string) =>
    reviewedChanges.get(`${orgId}\n${id}`, () => readReviewedChange(store, orgId, id, now()));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/changes',
      tags: ['changes'],
      summary: 'Submit a change request (Idempotency-Key required).',
      request: {
        body: jsonBody(
          z.strictObject({
            submission: z.record(z.string(), z.unknown()),
            manifest: manifestSchema,
            lint: z.array(lintFindingSchema).max(1000),
            draft: z.boolean().optional(),
          }),
        ),
      },
      responses: {
        201: jsonResponse(changeSchema, 'The change request.'),
        ...authErrors,
        409: errorResponse,
        422: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:submit', undefined, true);
      const body = c.req.valid('json');
      const { payload, key } = await verifySubmission(store, principal, body.submission, body.manifest, body.lint);
      const target = found(await store.targets.get(principal.orgId, payload.target), 'target', payload.target);
      if (target.projectId !== payload.project || target.environmentId !== payload.environment) {
        throw new IsotypError(
          'ISOTYP_INVALID_INPUT',
          'The target is not in the project and environment the submission names.',
          {
            details: { target: target.id, project: target.projectId, environment: target.environmentId },
          },
        );
      }
      allow(c, 'change:submit', { projectId: target.projectId, environmentId: target.environmentId });
      await checkPlanForTarget(store, target, { ...body, fromDigest: payload.fromDigest }, 'submit');
      const policy = await store.trust.latest(principal.orgId, 'policy');
      if (policy === undefined || (await store.trust.latest(principal.orgId, 'keyring')) === undefined) {
        throw new IsotypError(
          'ISOTYP_TRUST_NOT_INITIALISED',
          'This organisation has no approval policy or keyring yet.',
          {
            hint: 'An admin runs isotyp org init first.',
          },
        );
      }
      const at = now();
      const fromVersion = target.version ?? '0.0.0';
      const change: ChangeRecord = {
        id: newId('chg'),
        orgId: principal.orgId,
        projectId: target.projectId,
        environmentId: target.environmentId,
        targetId: target.id,
        title: payload.title,
        state: body.draft === true ? 'draft' : 'submitted',
        fromDigest: payload.fromDigest,
        toDigest: payload.toDigest,
        planDigest: payload.planDigest,
        manifestDigest: payload.manifestDigest,
        fromVersion,
        toVersion: bumpVersion(fromVersion, payload.bump),
        bump: payload.bump,
        manifest: body.manifest as unknown as JsonValue,
        lint: body.lint as unknown as JsonValue,
        submission: body.submission as JsonValue,
        authorUserId: key.userId,
        authorKeyId: key.keyId,
        policyVersion: policy.version,
        revision: 0,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
      };
      // Older open requests for the same target describe a state this one replaces.
      const older = await store.changes.list(principal.orgId, {
        targetId: target.id,
        states: [...openStates],
        limit: 100,
      });
      await store.changes.create(change);
      const actor = actorOf(principal);
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor,
          action: 'change.submit',
          entity: { kind: 'change', id: change.id },
          details: { planDigest: change.planDigest, manifestDigest: change.manifestDigest, state: change.state },
        },
        at,
      );
      for (const previous of older) {
        const superseded = await store.changes.transition(
          principal.orgId,
          previous.id,
          openStates,
          'superseded',
          at.toISOString(),
          `superseded by ${change.id}`,
        );
        if (superseded !== undefined) {
          await appendAudit(
            store,
            {
              orgId: principal.orgId,
              actor,
              action: 'change.superseded',
              entity: { kind: 'change', id: previous.id },
              details: { by: change.id },
            },
            at,
          );
        }
      }
      return c.json(changeView(change), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/changes',
      tags: ['changes'],
      request: {
        query: z.object({
          projectId: z.string().max(128).optional(),
          environmentId: z.string().max(128).optional(),
          targetId: z.string().max(128).optional(),
          state: z.union([changeStateSchema, z.array(changeStateSchema)]).optional(),
          before: z.iso.datetime().optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ changes: z.array(changeSummarySchema), next: z.string().optional() }),
          'Newest first, as summaries: GET /v1/changes/{id} has the whole change.',
        ),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:read', undefined, true);
      const { state, ...q } = c.req.valid('query');
      const states = state === undefined ? undefined : Array.isArray(state) ? state : [state];
      const page = await changePagesOf(principal.orgId, { ...q, states });
      const last = page.rows.at(-1);
      const next = page.rows.length === q.limit && last ? `,"next":${JSON.stringify(last.createdAt)}` : '';
      return jsonArrayAnswer(
        c,
        page,
        (r) => allowsRead(principal, r),
        (visible) => `{"changes":${visible}${next}}`,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/changes/{id}',
      tags: ['changes'],
      request: { params: idParam },
      responses: {
        200: jsonResponse(changeSchema, 'The change, its approvals and where its review stands.'),
        ...authErrors,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:read', undefined, true);
      const { id } = c.req.valid('param');
      const read = await reviewedChange(principal.orgId, id);
      const change = found(read.change, 'change', id);
      allow(c, 'change:read', { projectId: change.projectId, environmentId: change.environmentId });
      return jsonText(c, read.json);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/changes/{id}/transitions',
      tags: ['changes'],
      summary: 'Move a change along its lifecycle (applying, applied, failed, rolled_back, expired, submitted).',
      request: {
        params: idParam,
        body: jsonBody(
          z.strictObject({
            to: z.enum(requestedStates as [string, ...string[]]),
            reason: z.string().max(2000).optional(),
            digest: z
              .string()
              .regex(/^sha256:[0-9a-f]{64}$/)
              .optional(),
          }),
        ),
      },
      responses: {
        200: jsonResponse(changeSchema, 'The change after the step.'),
        ...authErrors,
        409: errorResponse,
        422: errorResponse,
      },
    }),
    async (c) => {
      const principal = allow(c, 'change:read', undefined, true);
      const { id } = c.req.valid('param');
      const { to, reason, digest } = c.req.valid('json') as {
        to: keyof typeof requestedTransitions;
        reason?: string;
        digest?: string;
      };
      const change = found(await store.changes.get(principal.orgId, id), 'change', id);
      const rule = requestedTransitions[to];
      allow(c, rule.permission, { projectId: change.projectId, environmentId: change.environmentId });
      if (!(rule.from as readonly string[]).includes(change.state)) throw invalidState(id, change.state, to, rule.from);
      const at = now();
      if (to === 'applied' && digest !== change.toDigest) {
        throw new IsotypError(
          'ISOTYP_DIGEST_MISMATCH',
          'An applied change must report the live digest, and it must equal the plan’s toDigest.',
          {
            hint: 'Report failed instead, with the reason; then investigate drift.',
            details: { expected: change.toDigest, reported: digest ?? null },
          },
        );
      }
      if (to === 'applying') {
        // Approvals expire: the change may start applying only while they still hold.
        const evaluation = await evaluateChange(store, change, at);
        if (evaluation.status !== 'approved') {
          await store.changes.transition(
            principal.orgId,
            id,
            ['approved'],
            'expired',
            at.toISOString(),
            'approvals no longer hold',
          );
          await appendAudit(
            store,
            { orgId: principal.orgId, actor: 'system', action: 'change.expired', entity: { kind: 'change', id } },
            at,
          );
          throw new IsotypError(
            'ISOTYP_APPROVAL_EXPIRED',
            'The change’s approvals no longer hold (expired or their keys were removed).',
            {
              hint: 'Submit the change again for a fresh review.',
            },
          );
        }
      }
      const updated = await store.changes.transition(principal.orgId, id, rule.from, to, at.toISOString(), reason);
      if (updated === undefined) {
        const current = found(await store.changes.get(principal.orgId, id), 'change', id);
        throw invalidState(id, current.state, to, rule.from);
      }
      if (to === 'applied' || (to === 'rolled_back' && change.state === 'applied')) {
        const applied = to === 'applied';
        await store.targets.recordVersion({
          targetId: change.targetId,
          orgId: change.orgId,
          version: applied ? change.toVersion : change.fromVersion,
          digest: applied ? change.toDigest : change.fromDigest,
          changeId: change.id,
          createdAt: at.toISOString(),
        });
      }
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: `change.${to}`,
          entity: { kind: 'change', id },
          details: { from: change.state, reason: reason ?? null, digest: digest ?? null },
        },
        at,
      );
      return c.json(changeView(updated), 200);
    },
  );

  app.route('/', approvalRoutes(deps));
  return app;
}

function allowsRead(principal: Principal, change: ChangeRecord): boolean {
  return can(principal, 'change:read', { projectId: change.projectId, environmentId: change.environmentId });
}

type ChangeQuery = Parameters<Store['changes']['list']>[1];

/** A change with its approvals and review, written out once; `validUntil` is when the review may turn. */
interface ReviewedChange {
  change: ChangeRecord | undefined;
  /** The answer, as its UTF-8 bytes: sent as it is to every caller allowed to read the change. */
  json: Uint8Array<ArrayBuffer>;
  validUntil: number;
}

async function readReviewedChange(store: Store, orgId: string, id: string, at: Date): Promise<ReviewedChange> {
  const [change, approvals] = await Promise.all([store.changes.get(orgId, id), store.approvals.forChange(orgId, id)]);
  if (change === undefined) return { change, json: new Uint8Array(), validUntil: Number.POSITIVE_INFINITY };
  let review: JsonValue | undefined;
  try {
    review = (await evaluateChange(store, change, at, approvals)) as unknown as JsonValue;
  } catch (error) {
    if (!(error instanceof IsotypError)) throw error;
    review = { error: error.code };
  }
  const envelopes = approvals.map((a) => a.envelope);
  const json = Buffer.from(JSON.stringify({ ...changeView(change), approvals: envelopes, review }));
  return { change, json, validUntil: reviewTurnsAt(envelopes, at.getTime()) };
}

/**
 * The first instant after `now` at which judging these approvals again could come out otherwise
 * (see verifyApproval's clock rules): one expires, or one signed up to MAX_CLOCK_SKEW_SECONDS
 * ahead of this clock stops counting as signed in the future.
 */
function reviewTurnsAt(envelopes: readonly JsonValue[], now: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const envelope of envelopes) {
    const e = envelope as { createdAt?: unknown; payload?: { expiresAt?: unknown } } | null;
    const instants = [
      Date.parse(String(e?.payload?.expiresAt)),
      Date.parse(String(e?.createdAt)) - MAX_CLOCK_SKEW_SECONDS * 1000,
    ];
    for (const instant of instants) if (instant > now && instant < first) first = instant;
  }
  return first;
}
