import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import { createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import { authorize, can } from '../identity/rbac.js';
import { ciTokenSchema, objectId, toCiTokenView } from '../identity/schemas.js';
import type { IdentityService } from '../identity/service.js';
import { ciActions } from '../storage/store.js';
import { actorOf, authErrors, found, jsonBody, jsonResponse } from './route-kit.js';

const security = [{ bearerAuth: [] }];

const createToken = createRoute({
  method: 'post',
  path: '/v1/tokens',
  tags: ['tokens'],
  summary: 'Create a CI token scoped to one environment (the secret is shown once)',
  security,
  request: {
    body: jsonBody(
      z.strictObject({
        name: z.string().trim().min(1).max(100),
        projectId: objectId,
        environmentId: objectId,
        actions: z.array(z.enum(ciActions)).min(1).max(ciActions.length),
        expiresInDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .optional()
          .openapi({ description: 'Absent: the token lives until revoked.' }),
      }),
    ),
  },
  responses: {
    201: jsonResponse(
      ciTokenSchema
        .extend({ token: z.string().openapi({ description: 'The only time the secret is shown.' }) })
        .openapi('CreatedCiToken'),
      'The token, with its secret.',
    ),
    ...authErrors,
  },
});

const listTokens = createRoute({
  method: 'get',
  path: '/v1/tokens',
  tags: ['tokens'],
  summary: 'List CI tokens (never their secrets)',
  security,
  request: { query: z.object({ projectId: objectId.optional(), environmentId: objectId.optional() }) },
  responses: { 200: jsonResponse(z.object({ tokens: z.array(ciTokenSchema) }), 'The tokens.'), ...authErrors },
});

const revokeToken = createRoute({
  method: 'delete',
  path: '/v1/tokens/{id}',
  tags: ['tokens'],
  summary: 'Revoke a CI token',
  security,
  request: { params: z.object({ id: objectId }) },
  responses: { 204: { description: 'Revoked (also when it already was).' }, ...authErrors },
});

/** CI tokens: create, list, revoke. Each needs `tokens:manage` where the token applies. */
export function tokenRoutes(identity: IdentityService): OpenAPIHono<AppEnv> {
  const { store, ciTokens } = identity;
  const router = createRouter();

  router.openapi(createToken, async (c) => {
    const body = c.req.valid('json');
    const principal = authorize(c.get('principal'), 'tokens:manage', {
      projectId: body.projectId,
      environmentId: body.environmentId,
    });
    // CI actions never grant tokens:manage today; this keeps it so if that table ever changes.
    if (principal.kind !== 'user') {
      throw new IsotypError('ISOTYP_FORBIDDEN', 'A CI token cannot create CI tokens.', {
        hint: 'Sign in as a user with tokens:manage.',
      });
    }
    found(await store.projects.get(principal.orgId, body.projectId), 'project', body.projectId);
    const environment = found(
      await store.environments.get(principal.orgId, body.environmentId),
      'environment',
      body.environmentId,
    );
    // An environment of another project would give the token a scope no grant check ever saw.
    if (environment.projectId !== body.projectId) found(undefined, 'environment', body.environmentId);
    const { record, token } = await ciTokens.create({
      orgId: principal.orgId,
      name: body.name,
      projectId: body.projectId,
      environmentId: body.environmentId,
      actions: body.actions,
      createdBy: principal.userId,
      ...(body.expiresInDays === undefined ? {} : { expiresInDays: body.expiresInDays }),
    });
    await appendAudit(
      store,
      {
        orgId: principal.orgId,
        actor: actorOf(principal),
        action: 'token.create',
        entity: { kind: 'ci-token', id: record.id },
        details: { projectId: body.projectId, environmentId: body.environmentId, actions: body.actions },
      },
      identity.now(),
    );
    return c.json({ ...toCiTokenView(record), token }, 201);
  });

  router.openapi(listTokens, async (c) => {
    const filter = c.req.valid('query');
    // A project admin sees the tokens of the projects they manage, an org admin all of them.
    const principal = authorize(c.get('principal'), 'tokens:manage', {}, true);
    const tokens = (await store.ciTokens.list(principal.orgId)).filter(
      (t) =>
        (filter.projectId === undefined || t.projectId === filter.projectId) &&
        (filter.environmentId === undefined || t.environmentId === filter.environmentId) &&
        can(principal, 'tokens:manage', { projectId: t.projectId, environmentId: t.environmentId }),
    );
    return c.json({ tokens: tokens.map(toCiTokenView) }, 200);
  });

  router.openapi(revokeToken, async (c) => {
    const { id } = c.req.valid('param');
    const principal = authorize(c.get('principal'), 'tokens:manage', {}, true);
    // Loaded in the caller's organisation: another tenant's token id is a plain 404.
    const token = found(await store.ciTokens.get(principal.orgId, id), 'token', id);
    authorize(principal, 'tokens:manage', { projectId: token.projectId, environmentId: token.environmentId });
    if (await store.ciTokens.revoke(principal.orgId, id, identity.now().toISOString())) {
      const actor = actorOf(principal);
      await appendAudit(
        store,
        { orgId: principal.orgId, actor, action: 'token.revoke', entity: { kind: 'ci-token', id } },
        identity.now(),
      );
    }
    return c.body(null, 204);
  });

  return router;
}
