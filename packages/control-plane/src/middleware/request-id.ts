import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.js';

/** Ids a caller may choose: short and safe to echo into headers and log lines. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface RequestIdOptions {
  /** The app's logger; each request gets a child bound to its id. */
  logger: Logger;
  headerName?: string;
  generate?: () => string;
}

/**
 * Gives every request an id: the caller's `X-Request-Id` when it matches
 * {@link REQUEST_ID_PATTERN}, a fresh UUID otherwise. Sets `requestId` and a child `logger` on
 * the context and echoes the id in the response header. Mount it first, so even errors raised
 * by later middleware carry the id.
 *
 * @example
 * app.use(requestId({ logger }));
 */
export function requestId({
  logger,
  headerName = 'X-Request-Id',
  generate = randomUUID,
}: RequestIdOptions): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const offered = c.req.header(headerName);
    const id = offered !== undefined && REQUEST_ID_PATTERN.test(offered) ? offered : generate();
    c.set('requestId', id);
    c.set('logger', logger.child({ requestId: id }));
    // Before the answer exists, so that every answer (errors too) carries it without Hono copying
    // a finished response to add a header.
    c.header(headerName, id);
    await next();
  };
}
