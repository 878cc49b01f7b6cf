import type { Context } from 'hono';
import { toHttpError } from './http-error.js';

/**
 * Answers with the same error body as the app's onError, for middleware that must set a
 * header onError would overwrite (a 429's real Retry-After) and so cannot simply throw.
 */
export function errorResponse(
  c: Context,
  error: unknown,
  { retryAfterSeconds, headers = {} }: { retryAfterSeconds?: number; headers?: Record<string, string> } = {},
): Response {
  const answer = toHttpError(error, retryAfterSeconds);
  const requestId: unknown = c.get('requestId');
  return c.json(
    { error: { ...answer.body.error, ...(typeof requestId === 'string' ? { requestId } : {}) } },
    answer.status as 400,
    { ...headers, ...answer.headers },
  );
}
