import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.js';
import { presetHeader } from '../http/preset-header.js';

/** Ids a caller may choose: short and safe to echo into headers and log lines. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface RequestIdOptions {
  /** The app's logger; `requestLogger(c)` gives a child of it bound to the request's id. */
  logger: Logger;
  headerName?: string;
  generate?: () => string;
}

/**
 * Gives every request an id: the caller's `X-Request-Id` when it matches
 * {@link REQUEST_ID_PATTERN}, a fresh UUID otherwise. Sets `requestId` and the app's `logger` on
 * the context and echoes the id in the response header; {@link requestLogger} logs with the id.
 * Mount it first, so even errors raised by later middleware carry the id.
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
    c.set('logger', logger);
    // Before the answer exists, so that every answer (errors too) carries it without Hono copying
    // a finished response to add a header.
    presetHeader(c, headerName, id);
    await next();
  };
}

const requestLoggers = new WeakMap<Context, Logger>();

/**
 * The request's logger: the app's, bound to the request id. Made on first use — most requests
 * log nothing but their access line (which names the id itself), and a pino child costs a
 * busy replica more than the rest of its request id handling.
 *
 * @example
 * requestLogger(c).error({ err }, 'could not store the idempotent answer'); // …,"requestId":"…"
 */
export function requestLogger(c: Context<AppEnv>): Logger {
  let logger = requestLoggers.get(c);
  if (logger === undefined) {
    logger = c.get('logger').child({ requestId: c.get('requestId') });
    requestLoggers.set(c, logger);
  }
  return logger;
}
