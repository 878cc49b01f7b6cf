import { hkdfSync, timingSafeEqual } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import { createRouter } from '../app.js';
import type { ControlPlaneConfig } from '../config.js';
import { setSession } from '../console/session.js';
import type { AppEnv } from '../context.js';
import type { TokenPair } from '../identity/refresh-tokens.js';
import type { Store, UserRecord } from '../storage/store.js';
import { CALLBACK_PATH, callback, device, deviceToken, start } from './oidc-route-specs.js';
import { resolveOidcUser } from './oidc-users.js';
import { OidcRelyingParty } from './relying-party.js';
import { safeReturnTo } from './return-to.js';
import { SealedState } from './sealed-state.js';

/** Starts a session for a user the IdP vouched for; `identity.sessions` (RefreshTokens) is one. */
export interface SessionIssuer {
  signIn(user: UserRecord, method: 'oidc'): Promise<TokenPair>;
}

export interface OidcRoutesDeps {
  store: Store;
  config: ControlPlaneConfig;
  logger: Logger;
  sessions: SessionIssuer;
  now?: () => Date;
  /**
   * Key material (≥ 32 bytes, the same on every replica) for the sealed login cookie and device
   * handles. Defaults to a key derived (HKDF) from `config.oidc.clientSecret`.
   */
  stateSecret?: Uint8Array;
  /** Lets openid-client talk to a plain-http IdP. Tests on loopback only; never a default. */
  allowInsecureIdp?: boolean;
}

export { CALLBACK_PATH };

/** Cookie holding the sealed PKCE verifier, state, nonce and return path of one console sign-in. */
export const LOGIN_STATE_COOKIE = 'isotyp_oidc';
/** Console session cookies set by the callback (HttpOnly, SameSite=Strict, path /console). */
export { CONSOLE_ACCESS_COOKIE, CONSOLE_REFRESH_COOKIE } from '../console/session.js';

/** How long a console sign-in may take at the IdP. */
const LOGIN_STATE_SECONDS = 600;
/** Upper bound on a device handle's life, whatever the IdP grants. */
const MAX_DEVICE_SECONDS = 1800;

/**
 * Sign-in through an external OpenID provider, the control plane acting as a confidential client:
 * the console's authorization-code flow (PKCE S256, state, nonce) and the CLI's device flow,
 * proxied so the client secret never leaves the server. Both end in `sessions.signIn(user)`.
 * Without `config.oidc` the routes exist (and are documented) but answer 404.
 *
 * Between `start` and `callback` the PKCE verifier, state, nonce and return path travel in one
 * sealed (encrypted, authenticated) cookie, HttpOnly, SameSite=Lax (it must come back on the
 * IdP's top-level redirect), scoped to the callback path, for 10 minutes and spent on first use.
 * No server-side table is involved, so any replica can finish what another started.
 *
 * @example
 * app.route('/', oidcRoutes({ store, config, logger, sessions: identity.sessions }));
 */
export function oidcRoutes(deps: OidcRoutesDeps): OpenAPIHono<AppEnv> {
  const router = createRouter();
  const oidc = deps.config.oidc;
  if (oidc === undefined) {
    const off = () => {
      throw new IsotypError('ISOTYP_NOT_FOUND', 'Sign-in through an OpenID provider is not configured here.', {
        hint: 'Sign in with a password (isotyp login), or ask an operator to configure oidc.',
      });
    };
    router.openapi(start, off);
    router.openapi(callback, off);
    router.openapi(device, off);
    router.openapi(deviceToken, off);
    return router;
  }

  const now = deps.now ?? (() => new Date());
  const publicUrl = new URL(deps.config.publicUrl);
  const secure = publicUrl.protocol === 'https:';
  const redirectUri = new URL(CALLBACK_PATH, publicUrl).href;
  const sealed = new SealedState(stateSecret(deps), now);
  const relyingParty = new OidcRelyingParty({
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    ...(oidc.clientSecret === undefined ? {} : { clientSecret: oidc.clientSecret }),
    redirectUri,
    logger: deps.logger,
    ...(deps.allowInsecureIdp === undefined ? {} : { allowInsecureIdp: deps.allowInsecureIdp }),
  });
  const users = { store: deps.store, orgId: oidc.orgId, now };

  router.openapi(start, async (c) => {
    const returnTo = safeReturnTo(c.req.valid('query').return_to);
    const { url, checks } = await relyingParty.authorizationRequest();
    const cookie = await sealed.seal(
      'login',
      { v: checks.verifier, s: checks.state, n: checks.nonce, r: returnTo },
      LOGIN_STATE_SECONDS,
    );
    setCookie(c, LOGIN_STATE_COOKIE, cookie, {
      path: CALLBACK_PATH,
      httpOnly: true,
      secure,
      sameSite: 'Lax',
      maxAge: LOGIN_STATE_SECONDS,
    });
    c.header('cache-control', 'no-store');
    return c.redirect(url.href, 302);
  });

  router.openapi(callback, async (c) => {
    c.header('cache-control', 'no-store');
    const raw = getCookie(c, LOGIN_STATE_COOKIE);
    // One attempt per start, whatever its outcome.
    deleteCookie(c, LOGIN_STATE_COOKIE, { path: CALLBACK_PATH, secure, httpOnly: true, sameSite: 'Lax' });
    if (raw === undefined) {
      throw unauthenticated('No sign-in is in progress in this browser, or it took longer than 10 minutes.');
    }
    const opened = await sealed.open('login', raw);
    if (!opened.ok) {
      throw unauthenticated(
        opened.reason === 'expired' ? 'The sign-in took longer than 10 minutes.' : 'The sign-in state is not valid.',
      );
    }
    const { v, s, n, r } = opened.value;
    if (typeof v !== 'string' || typeof s !== 'string' || typeof n !== 'string' || typeof r !== 'string') {
      throw unauthenticated('The sign-in state is not valid.');
    }
    const query = new URL(c.req.url).search;
    const state = new URLSearchParams(query).get('state');
    if (state === null || !sameText(state, s)) {
      throw unauthenticated('The answer from the identity provider does not belong to this sign-in (state).');
    }
    const callbackUrl = new URL(redirectUri);
    callbackUrl.search = query;
    const identity = await relyingParty.exchangeCode(callbackUrl, { verifier: v, state: s, nonce: n });
    const pair = await deps.sessions.signIn(await resolveOidcUser(users, identity), 'oidc');
    setSession(c, pair, { secure, refreshSeconds: deps.config.refreshTokenSeconds });
    return c.redirect(new URL(r, publicUrl.origin).href, 302);
  });

  router.openapi(device, async (c) => {
    const answer = await relyingParty.startDevice();
    const expiresIn = Math.max(1, Math.min(answer.expiresIn, MAX_DEVICE_SECONDS));
    const handle = await sealed.seal('device', { dc: answer.deviceCode }, expiresIn);
    c.header('cache-control', 'no-store');
    return c.json(
      {
        deviceCode: handle,
        userCode: answer.userCode,
        verificationUri: answer.verificationUri,
        ...(answer.verificationUriComplete === undefined
          ? {}
          : { verificationUriComplete: answer.verificationUriComplete }),
        interval: answer.interval,
        expiresIn,
      },
      200,
    );
  });

  router.openapi(deviceToken, async (c) => {
    c.header('cache-control', 'no-store');
    const opened = await sealed.open('device', c.req.valid('json').deviceCode);
    if (!opened.ok) {
      throw opened.reason === 'expired'
        ? unauthenticated('The device sign-in expired.', 'expired_token', 'Start it again with isotyp login.')
        : unauthenticated(
            'The device code is not one this server issued.',
            'invalid_grant',
            'Start again with isotyp login.',
          );
    }
    const deviceCode = opened.value.dc;
    if (typeof deviceCode !== 'string') throw unauthenticated('The device code is not valid.', 'invalid_grant');
    const identity = await relyingParty.pollDevice(deviceCode);
    return c.json(await deps.sessions.signIn(await resolveOidcUser(users, identity), 'oidc'), 200);
  });

  return router;
}

function unauthenticated(message: string, oauth?: string, hint = 'Start the sign-in again from the console.') {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, {
    hint,
    ...(oauth === undefined ? {} : { details: { oauth } }),
  });
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function stateSecret(deps: OidcRoutesDeps): Uint8Array {
  if (deps.stateSecret !== undefined) return deps.stateSecret;
  const clientSecret = deps.config.oidc?.clientSecret;
  if (clientSecret === undefined) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'OIDC sign-in needs a client secret or a state secret.', {
      hint: 'Set oidc.clientSecret (the control plane is a confidential client).',
    });
  }
  // A key of its own, not the secret itself: HKDF with a label no other use shares.
  return new Uint8Array(hkdfSync('sha256', clientSecret, 'isotyp', 'oidc sealed state', 32));
}
