import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv, Principal } from '../context.js';
import type { RoleGrantRecord } from '../storage/store.js';
import { type ApiFetch, ConsoleApi, ConsoleApiError } from './api.js';
import type { Viewer } from './layout.js';
import {
  CONSOLE_ACCESS_COOKIE,
  CONSOLE_REFRESH_COOKIE,
  type CookieOptions,
  clearSession,
  csrfTokenOf,
  type SessionTokens,
  secondsLeft,
  setSession,
} from './session.js';

/** Renew the access token when it has less than this left, so a page never half-loads. */
const RENEW_BEFORE_SECONDS = 30;

/** The signed-in person behind a console request, and the API as them. */
export interface Session {
  api: ConsoleApi;
  viewer: Viewer;
  principal: Principal;
  csrf: string | undefined;
}

interface WhoAmI {
  kind: 'user' | 'ci' | 'agent';
  orgId: string;
  userId?: string;
  email?: string;
  grants?: { role: RoleGrantRecord['role']; scope: RoleGrantRecord['scope'] }[];
}

/**
 * Finds who signed in from the session cookies, renewing the access token from the refresh
 * cookie when it is due (or was refused), and clearing the cookies of a session that has ended.
 * A refresh token is spent on use (and reuse revokes the family): requests that arrive together
 * with the same expired session share one renewal instead of racing.
 *
 * @example
 * const signedIn = sessionResolver({ fetchApi, now, cookies });
 * const s = await signedIn(c); // undefined: send them to sign in
 */
export function sessionResolver(deps: {
  fetchApi: ApiFetch;
  now: () => Date;
  cookies: CookieOptions;
}): (c: Context<AppEnv>) => Promise<Session | undefined> {
  const renewals = new Map<string, Promise<SessionTokens | undefined>>();
  const { cookies } = deps;
  const secure = cookies.secure;
  return async (c) => {
    let access = getCookie(c, CONSOLE_ACCESS_COOKIE);
    const refresh = getCookie(c, CONSOLE_REFRESH_COOKIE);
    const renew = async () => {
      if (refresh === undefined) return undefined;
      let pending = renewals.get(refresh);
      if (pending === undefined) {
        pending = new ConsoleApi(deps.fetchApi, c, undefined)
          .post('/v1/auth/refresh', JSON.stringify({ refreshToken: refresh }))
          .then((answer) => (answer.error === undefined ? (answer.body as SessionTokens) : undefined));
        renewals.set(refresh, pending);
        setTimeout(() => renewals.delete(refresh), 30_000).unref();
      }
      const tokens = await pending;
      if (tokens === undefined) clearSession(c, secure);
      else setSession(c, tokens, cookies);
      return tokens?.accessToken;
    };
    if (access === undefined || secondsLeft(access, deps.now().getTime()) < RENEW_BEFORE_SECONDS)
      access = await renew();
    if (access === undefined) return undefined;
    let api = new ConsoleApi(deps.fetchApi, c, access);
    let who = await api.tryGet<WhoAmI>('/v1/auth/whoami');
    if (!who.ok && who.error.status === 401) {
      // Revoked or signed by a retired key: one renewal, then sign in again.
      const renewed = await renew();
      if (renewed === undefined) return undefined;
      api = new ConsoleApi(deps.fetchApi, c, renewed);
      who = await api.tryGet<WhoAmI>('/v1/auth/whoami');
    }
    if (!who.ok) {
      if (who.error.status !== 401) throw new ConsoleApiError(who.error);
      clearSession(c, secure);
      return undefined;
    }
    const me = who.body;
    if (me.kind !== 'user' || me.userId === undefined) return undefined;
    const grants = (me.grants ?? []).map(
      (g) => ({ ...g, orgId: me.orgId, userId: me.userId }) as unknown as RoleGrantRecord,
    );
    return {
      api,
      viewer: {
        orgId: me.orgId,
        userId: me.userId,
        email: me.email ?? me.userId,
        roles: [...new Set(grants.map((g) => g.role))],
      },
      principal: { kind: 'user', orgId: me.orgId, userId: me.userId, email: me.email ?? '', grants },
      csrf: csrfTokenOf(c),
    };
  };
}
