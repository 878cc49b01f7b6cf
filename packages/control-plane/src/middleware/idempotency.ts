import { createHash } from 'node:crypto';
import { canonicalize, IDEMPOTENCY_KEY_PATTERN, IsotypError } from '@isotyp/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { type AppEnv, principalKey } from '../context.js';
import { idempotencyContext, SecretSeal } from '../storage/sealed-secrets.js';
import type { Store } from '../storage/store.js';
import { jsonBodyOf } from './json-body.js';
import { requestLogger } from './request-id.js';

export interface IdempotencyOptions {
  store: Store;
  /** Methods that need a key; others pass through untouched. */
  methods?: readonly string[];
  /**
   * Seals the stored answers (see SecretSeal): some are shown once and hold a secret — a CI
   * token, a webhook's signing secret, an enrolment token — and must be replayed whole.
   */
  seal?: SecretSeal;
  now?: () => Date;
}

/**
 * Makes a router's writes safe to retry. Each request must carry an `Idempotency-Key` (400
 * without one); the first request with a key runs, and its answer is stored when it is final —
 * 2xx, or a 4xx other than 408/425/429, which a retry could change, and other than a refusal of
 * the caller's rights (ISOTYP_FORBIDDEN, ISOTYP_UNAUTHENTICATED): those say what the principal
 * may do now, not what the request is, and a grant made since must count at the retry (a claim
 * on a change, whose key is the same at every run, would otherwise stay refused for a day). A
 * retry with the same key
 * and the same request gets the stored answer again with `Idempotent-Replayed: true`; the same
 * key with another method, path or body is 422 ISOTYP_IDEMPOTENCY_MISMATCH; a retry while the
 * first is still running is 409 ISOTYP_IDEMPOTENCY_IN_PROGRESS. A 5xx (or a throw that reaches
 * here) releases the key so the retry runs afresh.
 *
 * Keys belong to a principal, so mount it after authentication, and after `jsonBody`, whose
 * parsed value is hashed in canonical form (whitespace and key order do not make a mismatch).
 * Without a principal the request passes unrecorded: the route's own check answers 401.
 *
 * @example
 * const changes = createRouter();
 * changes.use('/v1/changes', idempotency({ store }));
 */
export function idempotency({
  store,
  methods = ['POST'],
  seal = SecretSeal.of(undefined),
  now = () => new Date(),
}: IdempotencyOptions): MiddlewareHandler<AppEnv> {
  const guarded = new Set(methods.map((m) => m.toUpperCase()));
  return async function idempotencyMiddleware(c, next) {
    if (!guarded.has(c.req.method)) return next();
    const key = c.req.header('idempotency-key');
    if (key === undefined || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new IsotypError(
        'ISOTYP_INVALID_INPUT',
        key === undefined
          ? 'This request needs an Idempotency-Key header.'
          : 'The Idempotency-Key header is malformed.',
        {
          hint: 'Send Idempotency-Key: <1–128 of A-Z a-z 0-9 _ . : -> (a fresh UUID works) and reuse it on retries.',
          details: { header: 'Idempotency-Key' },
        },
      );
    }
    const principal = c.get('principal');
    if (!principal) return next();
    const owner = principalKey(principal);
    const context = idempotencyContext(owner, key);
    const claim = await store.idempotency.claim(owner, key, requestHash(c), now().toISOString());
    switch (claim.kind) {
      case 'claimed':
        break;
      case 'replay':
        return new Response(seal.open(claim.body, context), {
          status: claim.status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'idempotent-replayed': 'true' },
        });
      case 'mismatch':
        throw new IsotypError(
          'ISOTYP_IDEMPOTENCY_MISMATCH',
          'This Idempotency-Key was used before for a different request.',
          { hint: 'Use a new key for a new request; reuse a key only to retry the very same one.' },
        );
      case 'in_progress':
        throw new IsotypError(
          'ISOTYP_IDEMPOTENCY_IN_PROGRESS',
          'A request with this Idempotency-Key is still running.',
          {
            hint: 'Wait for it to finish, then retry with the same key to get its answer.',
          },
        );
      default: {
        const unreachable: never = claim;
        throw new Error(`unknown idempotency claim ${JSON.stringify(unreachable)}`);
      }
    }

    try {
      await next();
    } catch (error) {
      await release(c, store, owner, key);
      throw error;
    }
    const status = c.res.status;
    if (!isFinal(status)) {
      await release(c, store, owner, key);
      return;
    }
    try {
      const answer = await c.res.clone().text();
      if (refusesTheCaller(status, answer)) {
        await release(c, store, owner, key);
        return;
      }
      await store.idempotency.complete(owner, key, status, seal.seal(answer, context));
    } catch (error) {
      // The answer still goes out; the key is freed so a retry runs again rather than waiting forever.
      requestLogger(c).error({ err: error }, 'could not store the idempotent answer');
      await release(c, store, owner, key);
    }
  };
}

/** Answers a retry must see again; transient refusals (timeout, too early, rate limit) are not. */
function isFinal(status: number): boolean {
  if (status >= 200 && status < 300) return true;
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}

/** Codes that judge the principal's rights at the time, not the request. */
const CALLER_REFUSALS: ReadonlySet<unknown> = new Set(['ISOTYP_FORBIDDEN', 'ISOTYP_UNAUTHENTICATED']);

/** A 401 or 403 whose error code is one of CALLER_REFUSALS. */
function refusesTheCaller(status: number, answer: string): boolean {
  if (status !== 401 && status !== 403) return false;
  try {
    return CALLER_REFUSALS.has((JSON.parse(answer) as { error?: { code?: unknown } }).error?.code);
  } catch {
    return false;
  }
}

/** SHA-256 over method, path with query, and the canonical JSON body (empty when none). */
function requestHash(c: Context): string {
  const url = new URL(c.req.url);
  const body = jsonBodyOf(c);
  const hash = createHash('sha256');
  hash.update(`${c.req.method}\n${url.pathname}${url.search}\n`);
  if (body !== undefined) hash.update(canonicalize(body));
  return hash.digest('hex');
}

async function release(c: Context<AppEnv>, store: Store, owner: string, key: string): Promise<void> {
  try {
    await store.idempotency.release(owner, key);
  } catch (error) {
    requestLogger(c).error({ err: error }, 'could not release an idempotency key');
  }
}
