import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import { createRouter } from '../app.js';
import { appendAudit } from '../audit/audit-log.js';
import type { AppEnv } from '../context.js';
import { MIN_PASSWORD_LENGTH } from '../identity/bootstrap.js';
import { hashPassword } from '../identity/passwords.js';
import { authorize, type ObjectScope } from '../identity/rbac.js';
import { grantInputSchema, grantSchema, objectId, toGrantView, toUserView, userSchema } from '../identity/schemas.js';
import type { IdentityService } from '../identity/service.js';
import { newId } from '../ids.js';
import type { RoleGrantRecord, Scope, Store, UserRecord } from '../storage/store.js';
import { actorOf, authErrors, errorResponse, found, jsonBody, jsonResponse } from './route-kit.js';

const security = [{ bearerAuth: [] }];

const createUser = createRoute({
  method: 'post',
  path: '/v1/users',
  tags: ['users'],
  summary: 'Add a user to your organisation',
  security,
  request: {
    body: jsonBody(
      z.strictObject({
        email: z.email().max(320),
        displayName: z.string().trim().min(1).max(200),
        password: z
          .string()
          .min(MIN_PASSWORD_LENGTH)
          .max(1024)
          .optional()
          .openapi({ description: 'Absent for users who sign in through OIDC only.' }),
        grants: z.array(grantInputSchema).max(50),
      }),
    ),
  },
  responses: { 201: jsonResponse(userSchema, 'The user.'), ...authErrors, 409: errorResponse },
});

const listUsers = createRoute({
  method: 'get',
  path: '/v1/users',
  tags: ['users'],
  summary: 'List the users of your organisation with their grants',
  security,
  responses: { 200: jsonResponse(z.object({ users: z.array(userSchema) }), 'The users.'), ...authErrors },
});

const listPeople = createRoute({
  method: 'get',
  path: '/v1/people',
  tags: ['users'],
  summary: 'Who is who in your organisation: ids, emails and names, for showing who signed what',
  security,
  responses: {
    200: jsonResponse(
      z.object({
        people: z.array(
          z.object({ id: z.string(), email: z.string(), displayName: z.string(), disabled: z.boolean() }),
        ),
      }),
      'Every user of the organisation, without grants (GET /v1/users, for admins, has those).',
    ),
    ...authErrors,
  },
});

const addGrant = createRoute({
  method: 'post',
  path: '/v1/users/{id}/grants',
  tags: ['users'],
  summary: 'Grant a user a role at a scope',
  description:
    'A user holds a role at a scope once: granting one they already hold changes nothing and answers the grant they hold (200, not 201), without a new audit entry.',
  security,
  request: { params: z.object({ id: objectId }), body: jsonBody(grantInputSchema) },
  responses: {
    201: jsonResponse(grantSchema, 'The grant.'),
    200: jsonResponse(grantSchema, 'Already held: the grant as it was.'),
    ...authErrors,
  },
});

const revokeGrant = createRoute({
  method: 'delete',
  path: '/v1/users/{id}/grants/{grantId}',
  tags: ['users'],
  summary: 'Take a role grant from a user',
  description:
    'Decided at the grant’s scope, as granting is. The last organisation-wide admin grant held by an enabled user is kept (409): someone must be left to manage the organisation. Takes effect on the user’s next request.',
  security,
  request: { params: z.object({ id: objectId, grantId: objectId }) },
  responses: { 204: { description: 'Revoked.' }, ...authErrors, 409: errorResponse },
});

const updateUser = createRoute({
  method: 'patch',
  path: '/v1/users/{id}',
  tags: ['users'],
  summary: 'Disable a user (someone who left) or enable them again',
  description:
    'A disabled user cannot sign in, their sessions are ended (refresh tokens revoked) and their access tokens are refused from their next request; their grants, keys and history stay, and enabling them brings the grants back. You cannot disable yourself, nor the last enabled organisation-wide admin (409).',
  security,
  request: { params: z.object({ id: objectId }), body: jsonBody(z.strictObject({ disabled: z.boolean() })) },
  responses: { 200: jsonResponse(userSchema, 'The user.'), ...authErrors, 409: errorResponse },
});

function objectScope(scope: Scope): ObjectScope {
  switch (scope.kind) {
    case 'org':
      return {};
    case 'project':
      return { projectId: scope.projectId };
    case 'environment':
      return { projectId: scope.projectId, environmentId: scope.environmentId };
    default: {
      const never: never = scope;
      return never;
    }
  }
}

/** A grant may only name a project or environment that exists in the caller's organisation. */
async function checkScope(store: Store, orgId: string, scope: Scope): Promise<void> {
  if (scope.kind === 'org') return;
  found(await store.projects.get(orgId, scope.projectId), 'project', scope.projectId);
  if (scope.kind === 'environment') {
    const environment = await store.environments.get(orgId, scope.environmentId);
    found(environment?.projectId === scope.projectId ? environment : undefined, 'environment', scope.environmentId);
  }
}

const isOrgAdmin = (grant: RoleGrantRecord) => grant.role === 'admin' && grant.scope.kind === 'org';

/**
 * Refuses a step that would leave the organisation without an enabled user holding the
 * organisation-wide admin role, counted as if `without` (a grant or a user) were gone.
 */
async function keepAnAdmin(
  store: Store,
  orgId: string,
  without: { grantId: string } | { userId: string },
): Promise<void> {
  const [users, grants] = await Promise.all([store.users.list(orgId), store.grants.list(orgId)]);
  const enabled = new Set(users.filter((u) => !u.disabled).map((u) => u.id));
  const left = grants.filter(
    (g) =>
      isOrgAdmin(g) &&
      enabled.has(g.userId) &&
      ('grantId' in without ? g.id !== without.grantId : g.userId !== without.userId),
  );
  if (left.length === 0) {
    throw new IsotypError('ISOTYP_CONFLICT', 'This would leave the organisation with no enabled admin.', {
      hint: 'Grant the admin role at the organisation to another user first (isotyp users create … --role admin).',
    });
  }
}

/** The same role at the same scope: a user holds it once (the index role_grants_one_per_scope). */
function sameGrant(a: { role: string; scope: Scope }, b: { role: string; scope: Scope }): boolean {
  const ids = (scope: Scope) => [
    scope.kind,
    scope.kind === 'org' ? '' : scope.projectId,
    scope.kind === 'environment' ? scope.environmentId : '',
  ];
  return a.role === b.role && ids(a.scope).join('/') === ids(b.scope).join('/');
}

/** Users and their role grants. Creating and listing users is org-wide `users:manage`. */
export function userRoutes(identity: IdentityService): OpenAPIHono<AppEnv> {
  const { store } = identity;
  const router = createRouter();

  const grantRecord = (orgId: string, userId: string, grant: { role: RoleGrantRecord['role']; scope: Scope }) => ({
    id: newId('grt'),
    orgId,
    userId,
    role: grant.role,
    scope: grant.scope,
    createdAt: identity.now().toISOString(),
  });

  router.openapi(createUser, async (c) => {
    const principal = authorize(c.get('principal'), 'users:manage');
    const body = c.req.valid('json');
    for (const grant of body.grants) await checkScope(store, principal.orgId, grant.scope);
    const user: UserRecord = {
      id: newId('usr'),
      orgId: principal.orgId,
      email: body.email.trim().toLowerCase(),
      displayName: body.displayName,
      ...(body.password === undefined ? {} : { passwordHash: await hashPassword(body.password) }),
      disabled: false,
      createdAt: identity.now().toISOString(),
    };
    await store.users.create(user);
    // A role listed twice at one scope is one grant.
    const grants = body.grants
      .filter((grant, i) => body.grants.findIndex((other) => sameGrant(other, grant)) === i)
      .map((grant) => grantRecord(principal.orgId, user.id, grant));
    for (const grant of grants) await store.grants.create(grant);
    await appendAudit(
      store,
      {
        orgId: principal.orgId,
        actor: actorOf(principal),
        action: 'user.create',
        entity: { kind: 'user', id: user.id },
        details: { grants: grants.map((g) => ({ role: g.role, scope: g.scope })) },
      },
      identity.now(),
    );
    return c.json(toUserView(user, grants), 201);
  });

  router.openapi(listUsers, async (c) => {
    const principal = authorize(c.get('principal'), 'users:manage');
    const [users, grants] = await Promise.all([store.users.list(principal.orgId), store.grants.list(principal.orgId)]);
    const views = users.map((user) =>
      toUserView(
        user,
        grants.filter((g) => g.userId === user.id),
      ),
    );
    return c.json({ users: views }, 200);
  });

  router.openapi(listPeople, async (c) => {
    const principal = authorize(c.get('principal'), 'org:read', undefined, true);
    const users = await store.users.list(principal.orgId);
    return c.json(
      { people: users.map(({ id, email, displayName, disabled }) => ({ id, email, displayName, disabled })) },
      200,
    );
  });

  router.openapi(addGrant, async (c) => {
    const { id } = c.req.valid('param');
    const grant = c.req.valid('json');
    const principal = authorize(c.get('principal'), 'users:manage', {}, true);
    found(await store.users.get(principal.orgId, id), 'user', id);
    // Decided at the grant's scope: a project admin hands out roles in their own project only.
    authorize(principal, 'users:manage', objectScope(grant.scope));
    await checkScope(store, principal.orgId, grant.scope);
    const record = grantRecord(principal.orgId, id, grant);
    if (!(await store.grants.create(record))) {
      const held = (await store.grants.forUser(principal.orgId, id)).find((g) => sameGrant(g, record));
      return c.json(toGrantView(found(held, 'grant', record.id)), 200);
    }
    const actor = actorOf(principal);
    await appendAudit(
      store,
      {
        orgId: principal.orgId,
        actor,
        action: 'user.grant',
        entity: { kind: 'user', id },
        details: { role: record.role, scope: record.scope },
      },
      identity.now(),
    );
    return c.json(toGrantView(record), 201);
  });

  router.openapi(revokeGrant, async (c) => {
    const { id, grantId } = c.req.valid('param');
    const principal = authorize(c.get('principal'), 'users:manage', {}, true);
    const grants = await store.grants.forUser(principal.orgId, id);
    const grant = found(
      grants.find((g) => g.id === grantId),
      'grant',
      grantId,
    );
    authorize(principal, 'users:manage', objectScope(grant.scope));
    if (isOrgAdmin(grant)) await keepAnAdmin(store, principal.orgId, { grantId });
    await store.grants.delete(principal.orgId, grantId);
    await appendAudit(
      store,
      {
        orgId: principal.orgId,
        actor: actorOf(principal),
        action: 'user.grant.revoke',
        entity: { kind: 'user', id },
        details: { grantId, role: grant.role, scope: grant.scope },
      },
      identity.now(),
    );
    return c.body(null, 204);
  });

  router.openapi(updateUser, async (c) => {
    const { id } = c.req.valid('param');
    const { disabled } = c.req.valid('json');
    const principal = authorize(c.get('principal'), 'users:manage');
    const user = found(await store.users.get(principal.orgId, id), 'user', id);
    if (disabled && principal.kind === 'user' && principal.userId === id) {
      throw new IsotypError('ISOTYP_CONFLICT', 'You cannot disable your own account.', {
        hint: 'Ask another admin of the organisation to do it.',
      });
    }
    if (disabled !== user.disabled) {
      if (disabled) await keepAnAdmin(store, principal.orgId, { userId: id });
      await store.users.setDisabled(principal.orgId, id, disabled);
      const at = identity.now();
      // Sessions end now; access tokens are refused at the next request (the user is read then).
      if (disabled) await store.refreshTokens.revokeForUser(id, at.toISOString());
      await appendAudit(
        store,
        {
          orgId: principal.orgId,
          actor: actorOf(principal),
          action: disabled ? 'user.disable' : 'user.enable',
          entity: { kind: 'user', id },
        },
        at,
      );
    }
    const grants = await store.grants.forUser(principal.orgId, id);
    return c.json(toUserView({ ...user, disabled }, grants), 200);
  });

  return router;
}
