import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import type { ControlPlaneConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { SecretSeal } from '../storage/sealed-secrets.js';
import type { Store } from '../storage/store.js';
import { AccessTokens } from './access-tokens.js';
import { authenticate } from './authenticate.js';
import { CiTokens } from './ci-tokens.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { RefreshTokens, type TokenPair } from './refresh-tokens.js';
import { SigningKeys } from './signing-keys.js';

export interface IdentityDeps {
  store: Store;
  config: ControlPlaneConfig;
  /** Injected clock for expiry tests; defaults to the system clock. */
  now?: () => Date;
}

/** Everything the identity routes and the authentication middleware share, built once per app. */
export interface IdentityService {
  readonly store: Store;
  readonly config: ControlPlaneConfig;
  readonly now: () => Date;
  readonly keys: SigningKeys;
  readonly accessTokens: AccessTokens;
  readonly sessions: RefreshTokens;
  readonly ciTokens: CiTokens;
  /** Sets `c.var.principal` from the Authorization header; mount before the routes. */
  readonly authenticate: MiddlewareHandler<AppEnv>;
  /** Checks a password and starts a session; one error for every way it can fail. */
  login(input: { org: string; email: string; password: string }): Promise<TokenPair>;
}

const badCredentials = () =>
  new IsotypError('ISOTYP_CREDENTIALS_INVALID', 'The organisation, email or password is wrong.', {
    hint: 'Check them and try again; an admin can reset your password.',
  });

/**
 * Builds the identity service from the app's dependencies.
 *
 * @example
 * const identity = createIdentity({ store, config, now });
 * app.use('*', identity.authenticate);
 * app.route('/', identityRoutes(identity));
 */
export function createIdentity(deps: IdentityDeps): IdentityService {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  const keys = new SigningKeys({ store, now, seal: SecretSeal.of(config.caPassphrase) });
  const accessTokens = new AccessTokens({ keys, config, now });
  const sessions = new RefreshTokens({ store, accessTokens, config, now });
  const ciTokens = new CiTokens({ store, now });

  async function login(input: { org: string; email: string; password: string }): Promise<TokenPair> {
    // Unknown organisation, unknown email and an OIDC-only user all run the same single scrypt as
    // a wrong password and answer the same error, so neither timing nor text tells them apart.
    const org = await store.orgs.get(input.org);
    const user = org === undefined ? undefined : await store.users.byEmail(org.id, input.email.trim().toLowerCase());
    const ok = await verifyPassword(input.password, user?.passwordHash);
    if (user === undefined || user.passwordHash === undefined || !ok) throw badCredentials();
    if (user.disabled) {
      // Only someone who knows the password learns the account is disabled.
      throw new IsotypError('ISOTYP_UNAUTHENTICATED', 'This account is disabled.', {
        hint: 'Ask an organisation admin to enable it.',
      });
    }
    if (needsRehash(user.passwordHash)) {
      await store.users.setPasswordHash(user.orgId, user.id, await hashPassword(input.password));
    }
    return sessions.signIn(user);
  }

  return {
    store,
    config,
    now,
    keys,
    accessTokens,
    sessions,
    ciTokens,
    authenticate: authenticate({ store, tokens: accessTokens, ciTokens }),
    login,
  };
}
