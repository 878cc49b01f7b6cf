import type { OpenAPIHono } from '@hono/zod-openapi';
import { createRouter } from '../app.js';
import type { AppEnv } from '../context.js';
import { authRoutes } from '../routes/auth.js';
import { tokenRoutes } from '../routes/tokens.js';
import { userRoutes } from '../routes/users.js';
import type { IdentityService } from './service.js';

/**
 * The identity API in one router: `/v1/auth/*`, `/.well-known/jwks.json`, `/v1/tokens*` and
 * `/v1/users*`, with the bearer scheme their OpenAPI entries refer to. The authentication
 * middleware (`identity.authenticate`) must be mounted on the app before this router.
 *
 * @example
 * app.use('*', identity.authenticate);
 * app.route('/', identityRoutes(identity));
 */
export function identityRoutes(identity: IdentityService): OpenAPIHono<AppEnv> {
  const router = createRouter();
  router.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An access token from POST /v1/auth/login, or a CI token (isotyp_ci_…).',
  });
  router.route('/', authRoutes(identity));
  router.route('/', tokenRoutes(identity));
  router.route('/', userRoutes(identity));
  return router;
}
