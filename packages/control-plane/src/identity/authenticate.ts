import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Principal } from '../context.js';
import type { Store } from '../storage/store.js';
import type { AccessTokens } from './access-tokens.js';
import { CI_TOKEN_PREFIX, type CiTokens } from './ci-tokens.js';
import { REFRESH_TOKEN_PREFIX } from './refresh-tokens.js';

export interface AuthenticateOptions {
  store: Store;
  tokens: AccessTokens;
  ciTokens: CiTokens;
}

/** RFC 6750 b64token, with a length cap so a 1 MB header is refused before any parsing. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_CHARS = 8192;

function unauthenticated(message: string, hint = 'Send Authorization: Bearer <token>; isotyp login gives one.') {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, { hint });
}

/**
 * Resolves `Authorization: Bearer …` into `c.var.principal`: an access token (JWT) becomes a user
 * with their current role grants, an `isotyp_ci_…` token becomes its CI scope. No header leaves
 * the principal unset, so public routes work and protected ones answer 401 through `authorize()`.
 * A header that is present but wrong is always a 401: a client that meant to authenticate should
 * hear that it failed rather than be served as anonymous.
 *
 * @example
 * app.use('*', authenticate({ store, tokens, ciTokens }));
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AppEnv> {
  const { store, tokens, ciTokens } = options;
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) c.set('principal', await resolve(header));
    await next();
  };

  async function resolve(header: string): Promise<Principal> {
    const token = header.length <= MAX_TOKEN_CHARS + 16 ? BEARER.exec(header)?.[1] : undefined;
    if (token === undefined) throw unauthenticated('The Authorization header is not a Bearer token.');
    if (token.startsWith(CI_TOKEN_PREFIX)) {
      const record = await ciTokens.verify(token);
      return {
        kind: 'ci',
        orgId: record.orgId,
        tokenId: record.id,
        projectId: record.projectId,
        environmentId: record.environmentId,
        actions: record.actions,
      };
    }
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      throw unauthenticated(
        'A refresh token cannot authorise a request.',
        'Exchange it for an access token with POST /v1/auth/refresh.',
      );
    }
    const claims = await tokens.verify(token);
    // The user is read on every request so that disabling an account or changing a grant takes
    // effect at once, not when the access token expires.
    const user = await store.users.get(claims.orgId, claims.userId);
    if (user === undefined || user.disabled) throw unauthenticated('This account cannot sign in.');
    const grants = await store.grants.forUser(user.orgId, user.id);
    return { kind: 'user', orgId: user.orgId, userId: user.id, email: user.email, grants };
  }
}

/**
 * The caller, for routes open to anyone signed in whatever their roles (whoami). Every other
 * route names a permission through `authorize()` instead.
 */
export function requirePrincipal(principal: Principal | undefined): Principal {
  if (principal === undefined) throw unauthenticated('This route needs a signed-in user or a CI token.');
  return principal;
}
