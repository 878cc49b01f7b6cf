import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';
import { principalKey } from '../context.js';
import { routePattern } from '../http/route-pattern.js';
import { infoLine } from '../logger.js';
import { traceIdOf } from './tracing.js';

export interface AccessLogOptions {
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * One log line per request, with the request id (and the trace id when tracing is on, so a
 * line and its trace can be joined): method, route
 * pattern, status, duration and the caller's principal key. Never the body,
 * the query string or headers — they may hold secrets. Mount it right after `requestId`.
 *
 * @example
 * app.use(requestId({ logger }), accessLog());
 */
export function accessLog({ now = () => performance.now() }: AccessLogOptions = {}): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = now();
    await next();
    const principal = c.get('principal');
    // Each field an id matched against a pattern, a route pattern, a number or the method.
    infoLine(
      c.get('logger'),
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: routePattern(c),
        status: c.res.status,
        ms: Math.round((now() - started) * 10) / 10,
        principal: principal === undefined ? undefined : principalKey(principal),
        traceId: traceIdOf(c),
      },
      'request',
    );
  };
}
