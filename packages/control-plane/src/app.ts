import { OpenAPIHono } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from './config.js';
import type { AppEnv } from './context.js';
import { toHttpError } from './http/http-error.js';
import type { Store } from './storage/store.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  config: ControlPlaneConfig;
  /** Injected clock for tests of expiry; defaults to the system clock. */
  now?: () => Date;
}

/** The OpenAPIHono every resource router is built with: failed validation is ISOTYP_INVALID_INPUT. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const path = issue?.path.map(String).join('.') ?? '';
      throw new IsotypError(
        'ISOTYP_INVALID_INPUT',
        `Invalid ${result.target}${path ? ` at ${path}` : ''}: ${issue?.message ?? 'invalid'}.`,
        {
          hint: 'Compare the request with the schema at /v1/openapi.json.',
          details: {
            target: result.target,
            issues: result.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String), message: i.message })),
          },
        },
      );
    },
  });
}

/**
 * Builds the control plane's HTTP application. Nothing here listens: `server.ts` does, and tests
 * call `app.request()` or serve it on loopback.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.onError((error, c) => {
    const answer = toHttpError(error);
    const requestId = c.get('requestId');
    if (answer.status >= 500) {
      (c.get('logger') ?? deps.logger).error({ err: error, requestId }, 'request failed');
    }
    return c.json({ error: { ...answer.body.error, requestId } }, answer.status as 500, answer.headers);
  });
  app.notFound((c) => {
    const answer = toHttpError(
      new IsotypError('ISOTYP_NOT_FOUND', `No route ${c.req.method} ${new URL(c.req.url).pathname}.`, {
        hint: 'The API is described at /v1/openapi.json.',
      }),
    );
    return c.json({ error: { ...answer.body.error, requestId: c.get('requestId') } }, 404, answer.headers);
  });
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Isotyp control plane', version: '1' },
  });
  return app;
}
