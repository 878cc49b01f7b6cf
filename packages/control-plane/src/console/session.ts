import { randomBytes, timingSafeEqual } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../context.js';

/** The console's session cookies: HttpOnly, SameSite=Strict, sent to `/console` only. */
export const CONSOLE_ACCESS_COOKIE = 'isotyp_access';
export const CONSOLE_REFRESH_COOKIE = 'isotyp_refresh';
/** The CSRF token of the session, echoed by the pages in a meta tag and sent back in a header. */
export const CONSOLE_CSRF_COOKIE = 'isotyp_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CONSOLE_PATH = '/console';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

export interface CookieOptions {
  /** Cookies marked Secure: the control plane's public URL is https. */
  secure: boolean;
  /** How long a refresh token lives (the `refreshTokenSeconds` setting). */
  refreshSeconds: number;
}

const cookie = (secure: boolean, maxAge: number) =>
  ({ path: CONSOLE_PATH, httpOnly: true, secure, sameSite: 'Strict', maxAge }) as const;

/**
 * Starts (or renews) a console session: the access token, the refresh token and a CSRF token,
 * each in its own cookie that no script can read and no other site can make the browser send.
 * The CSRF token is kept across renewals, so a page that is open keeps working.
 *
 * @example
 * setSession(c, await identity.login(form), { secure: true, refreshSeconds: 2_592_000 });
 */
export function setSession(c: Context<AppEnv>, tokens: SessionTokens, options: CookieOptions): void {
  setCookie(c, CONSOLE_ACCESS_COOKIE, tokens.accessToken, cookie(options.secure, tokens.expiresIn));
  setCookie(c, CONSOLE_REFRESH_COOKIE, tokens.refreshToken, cookie(options.secure, options.refreshSeconds));
  const csrf = getCookie(c, CONSOLE_CSRF_COOKIE) ?? randomBytes(32).toString('base64url');
  setCookie(c, CONSOLE_CSRF_COOKIE, csrf, cookie(options.secure, options.refreshSeconds));
  c.set('consoleCsrf', csrf);
}

/** Ends the session in this browser (the server-side revocation is the caller's). */
export function clearSession(c: Context<AppEnv>, secure: boolean): void {
  for (const name of [CONSOLE_ACCESS_COOKIE, CONSOLE_REFRESH_COOKIE, CONSOLE_CSRF_COOKIE]) {
    deleteCookie(c, name, { path: CONSOLE_PATH, secure, httpOnly: true, sameSite: 'Strict' });
  }
}

/** The session's CSRF token: the one just set on this response, or the browser's cookie. */
export function csrfTokenOf(c: Context<AppEnv>): string | undefined {
  return c.get('consoleCsrf') ?? getCookie(c, CONSOLE_CSRF_COOKIE);
}

/**
 * Refuses a state-changing console request that did not come from the console's own pages:
 * the Origin (when the browser sends one) must be this server, and the request must carry the
 * session's CSRF token — in the `x-csrf-token` header (scripts) or the `_csrf` form field.
 * SameSite=Strict cookies already keep other sites' requests unauthenticated; this is the
 * second lock, for browsers or proxies that do not honour it.
 */
export function checkCsrf(c: Context<AppEnv>, allowedOrigins: readonly string[], submitted?: string): void {
  checkOrigin(c, allowedOrigins);
  const expected = getCookie(c, CONSOLE_CSRF_COOKIE);
  const given = submitted ?? c.req.header(CSRF_HEADER);
  if (expected === undefined || given === undefined || !sameText(given, expected)) {
    throw new IsotypError(
      'ISOTYP_FORBIDDEN',
      'The request did not come from a console page (CSRF token missing or wrong).',
      {
        hint: 'Reload the page and try again.',
      },
    );
  }
}

/** A cross-site form post or fetch names another origin: refused before anything is read. */
export function checkOrigin(c: Context<AppEnv>, allowedOrigins: readonly string[]): void {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  // An opaque origin ("null", from a sandboxed frame or a data: page) is never one of ours.
  const foreign =
    (origin !== undefined && !allowedOrigins.includes(origin)) ||
    (site !== undefined && site !== 'same-origin' && site !== 'none');
  if (foreign) {
    throw new IsotypError('ISOTYP_FORBIDDEN', 'The console accepts requests from its own pages only.', {
      hint: 'Open the console at its own address and try again.',
    });
  }
}

/** Seconds until a JWT's `exp` (without checking its signature: the API does that). */
export function secondsLeft(jwt: string, nowMs: number): number {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return 0;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp - nowMs / 1000 : 0;
  } catch {
    return 0;
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
