import { IsotypError } from '@isotyp/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../context.js';
import { readBodyLimited } from '../http/read-body.js';
import { safeReturnTo } from '../oidc/return-to.js';

/*
 * Reading what a browser sends the console: its web forms, the JSON the console script posts,
 * the idempotency key it chose, where to go after sign-in.
 */

/** Form posts to the console are small: a sign-in form, a CSRF token. */
const FORM_LIMIT_BYTES = 16 * 1024;
/** An approval, a key registration or a change submission, with room to spare. */
const JSON_LIMIT_BYTES = 64 * 1024;

/** A web form (sign-in, sign-out, a suggestion review), within its size limit. */
export async function readForm(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new IsotypError('ISOTYP_UNSUPPORTED_MEDIA_TYPE', 'The console takes this form as a web form.', {
      hint: 'Use the sign-in page.',
    });
  }
  const bytes = await readBodyLimited(c.req.raw, FORM_LIMIT_BYTES);
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

export /** The body text as sent; the API behind judges it with its strict JSON rules. */
async function readJson(c: Context<AppEnv>): Promise<string> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new IsotypError('ISOTYP_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(await readBodyLimited(c.req.raw, JSON_LIMIT_BYTES));
}

export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('idempotency-key');
  return key !== undefined && /^[A-Za-z0-9_-]{8,128}$/.test(key) ? key : undefined;
}

export function signInAgain(): IsotypError {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', 'Your console session has ended.', {
    hint: 'Sign in again; your signature was not sent.',
  });
}

/** Only a console path may follow sign-in. */
export function returnPath(value: string | undefined): string {
  try {
    const path = safeReturnTo(value);
    return path.startsWith('/console') ? path : '/console/approvals';
  } catch {
    return '/console/approvals';
  }
}
