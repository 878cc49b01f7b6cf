import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { createRouter } from '../app.js';
import type { AppEnv } from '../context.js';
import { requirePrincipal } from '../identity/authenticate.js';
import { grantSchema, toGrantView, tokenPairSchema } from '../identity/schemas.js';
import type { IdentityService } from '../identity/service.js';
import { ciActions } from '../storage/store.js';
import { errorResponse, jsonBody, jsonResponse } from './route-kit.js';

const credentialErrors = { 400: errorResponse, 401: errorResponse } as const;
const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(256) });

const login = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in with a password',
  request: {
    body: jsonBody(
      z.strictObject({
        org: z.string().min(1).max(128),
        email: z.string().min(1).max(320),
        // Bounded so a megabyte "password" cannot be fed to scrypt.
        password: z.string().min(1).max(1024),
      }),
    ),
  },
  responses: { 200: jsonResponse(tokenPairSchema, 'An access token and a refresh token.'), ...credentialErrors },
});

const refresh = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Exchange a refresh token for a new pair (the old one is spent)',
  request: { body: jsonBody(refreshBody) },
  responses: { 200: jsonResponse(tokenPairSchema, 'A new access token and refresh token.'), ...credentialErrors },
});

const logout = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'End the session a refresh token belongs to',
  request: { body: jsonBody(refreshBody) },
  responses: { 204: { description: 'The session is over (also when it already was).' }, 400: errorResponse },
});

const whoamiSchema = z
  .object({
    kind: z.enum(['user', 'ci', 'agent']),
    orgId: z.string(),
    userId: z.string().optional(),
    email: z.string().optional(),
    grants: z.array(grantSchema).optional(),
    ci: z
      .object({
        tokenId: z.string(),
        projectId: z.string(),
        environmentId: z.string(),
        actions: z.array(z.enum(ciActions)),
      })
      .optional(),
    agent: z.object({ agentId: z.string() }).optional(),
  })
  .openapi('Whoami');

const whoami = createRoute({
  method: 'get',
  path: '/v1/auth/whoami',
  tags: ['auth'],
  summary: 'Who the presented token speaks for',
  security: [{ bearerAuth: [] }],
  responses: { 200: jsonResponse(whoamiSchema, 'The caller.'), 401: errorResponse },
});

const jwks = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['auth'],
  summary: 'Public keys that verify access tokens',
  responses: {
    200: jsonResponse(
      z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('Jwks'),
      'A JSON Web Key Set.',
    ),
  },
});

/** Sign-in, refresh, logout, whoami and the JWKS. All but whoami are public. */
export function authRoutes(identity: IdentityService): OpenAPIHono<AppEnv> {
  const router = createRouter();

  router.openapi(login, async (c) => c.json(await identity.login(c.req.valid('json')), 200));

  router.openapi(refresh, async (c) => c.json(await identity.sessions.refresh(c.req.valid('json').refreshToken), 200));

  router.openapi(logout, async (c) => {
    await identity.sessions.revoke(c.req.valid('json').refreshToken);
    return c.body(null, 204);
  });

  router.openapi(whoami, (c) => {
    const principal = requirePrincipal(c.get('principal'));
    if (principal.kind === 'ci') {
      const { orgId, tokenId, projectId, environmentId, actions } = principal;
      return c.json({ kind: 'ci' as const, orgId, ci: { tokenId, projectId, environmentId, actions } }, 200);
    }
    if (principal.kind === 'agent') {
      return c.json({ kind: 'agent' as const, orgId: principal.orgId, agent: { agentId: principal.agentId } }, 200);
    }
    const { orgId, userId, email, grants } = principal;
    return c.json({ kind: 'user' as const, orgId, userId, email, grants: grants.map(toGrantView) }, 200);
  });

  router.openapi(jwks, async (c) => {
    c.header('cache-control', 'public, max-age=60');
    return c.json((await identity.keys.jwks()) as { keys: Record<string, unknown>[] }, 200);
  });

  return router;
}
