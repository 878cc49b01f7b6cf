import { type ErrorBody, toIsotypError } from '@isotyp/protocol';

export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/**
 * The one mapping from any thrown value to an HTTP answer: an IsotypError keeps its code and
 * catalogue status; anything else becomes a 500 ISOTYP_INTERNAL whose body says nothing about
 * the original error (that goes to the log only). Retryable errors carry Retry-After.
 */
export function toHttpError(error: unknown, retryAfterSeconds = 1): HttpErrorResponse {
  const isotyp = toIsotypError(error);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (isotyp.retryable) headers['retry-after'] = String(retryAfterSeconds);
  return { status: isotyp.httpStatus, headers, body: isotyp.toJSON() };
}
