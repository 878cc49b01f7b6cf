import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { MiddlewareHandler } from 'hono';
import { createBareApp, createRouter } from '../../app.js';
import { type ControlPlaneConfig, resolveConfig } from '../../config.js';
import type { AppEnv, Principal } from '../../context.js';
import { createLogger } from '../../logger.js';
import { createMetrics, type HttpMetrics } from '../../metrics.js';
import { healthRoutes } from '../../routes/health.js';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { Store } from '../../storage/store.js';
import { accessLog, idempotency, jsonBody, jsonBodyOf, rateLimit, requestId, requireJsonBody } from '../index.js';

/** A migrated SQLite store in a fresh directory; `dispose` closes it and removes the files. */
export async function tempStore(): Promise<{ store: Store; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-http-'));
  const store = await openSqliteStore(join(dir, 'cp.db'));
  await store.migrate();
  return {
    store,
    async dispose() {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Stands in for the lead's authentication middleware: `X-Test-User: <id>` makes the request
 * come from that user. The middleware under test only reads `principal`, however it was set.
 */
export function testAuthentication(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const userId = c.req.header('x-test-user');
    if (userId) {
      const principal: Principal = {
        kind: 'user',
        orgId: 'org_test',
        userId,
        email: `${userId}@example.com`,
        grants: [],
      };
      c.set('principal', principal);
    }
    await next();
  };
}

export interface HygieneAppOptions {
  store: Store;
  config?: Partial<ControlPlaneConfig>;
  /** Clock of the rate limiters (ms since the epoch). */
  now?: () => number;
  trustProxy?: boolean;
}

export interface HygieneApp {
  app: OpenAPIHono<AppEnv>;
  metrics: HttpMetrics;
  /** Parsed JSON log lines written so far. */
  logs: Record<string, unknown>[];
  /** How many times the idempotent handler ran. */
  runs: () => number;
  /** Resolves the requests parked by `{"park": true}` on POST /v1/things. */
  unpark: () => void;
}

const thing = z.object({
  name: z.string().optional(),
  fail: z.enum(['crash', 'not_found', 'rate', 'forbidden', 'signature']).optional(),
  park: z.boolean().optional(),
  nested: z.unknown().optional(),
});

/**
 * The middleware mounted in the order `middleware/index.ts` documents on `createBareApp` (the
 * app's own error answers), with a few test routes. Not `createApp`: it mounts real
 * authentication and the system clock, where these suites need a test principal and a clock
 * moved by hand.
 */
export function hygieneApp({
  store,
  config: overrides = {},
  now = Date.now,
  trustProxy,
}: HygieneAppOptions): HygieneApp {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const config = resolveConfig(overrides);
  const window = config.rateLimit.windowSeconds;
  const metrics = createMetrics();
  const app = createBareApp(logger);
  app.use(
    requestId({ logger }),
    accessLog(),
    metrics.middleware,
    rateLimit({ scope: 'ip', limit: config.rateLimit.perIp, windowSeconds: window, now, trustProxy }),
    jsonBody({ limitBytes: config.bodyLimitBytes }),
    testAuthentication(),
    rateLimit({ scope: 'principal', limit: config.rateLimit.perPrincipal, windowSeconds: window, now }),
  );
  app.route('/', healthRoutes({ store, registry: metrics.registry }));

  let runs = 0;
  let parked: Array<() => void> = [];
  const router = createRouter();
  router.use('/v1/things', idempotency({ store }));
  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/things',
      request: { body: { required: true, content: { 'application/json': { schema: thing } } } },
      responses: { 201: { description: 'Created.' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      runs++;
      if (body.park) await new Promise<void>((resolve) => parked.push(resolve));
      if (body.fail === 'crash') throw new Error('handler crashed');
      if (body.fail === 'not_found') throw new IsotypError('ISOTYP_NOT_FOUND', 'No such thing.');
      if (body.fail === 'rate') throw new IsotypError('ISOTYP_RATE_LIMITED', 'Slow down.');
      if (body.fail === 'forbidden') throw new IsotypError('ISOTYP_FORBIDDEN', 'Not yours to do.');
      if (body.fail === 'signature') throw new IsotypError('ISOTYP_SIGNATURE_INVALID', 'Bad signature.');
      return c.json({ run: runs, name: body.name ?? null }, 201);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/echo',
      request: { body: { required: true, content: { 'application/json': { schema: thing } } } },
      responses: { 200: { description: 'What validation saw.' } },
    }),
    async (c) => {
      const validated = c.req.valid('json');
      // The validator's input must be the strict parse, not a second parse of the text.
      const same = (await c.req.json()) === jsonBodyOf(c);
      return c.json({ validated, same }, 200);
    },
  );
  router.openapi(
    createRoute({
      method: 'post',
      path: '/v1/optional',
      middleware: [requireJsonBody()] as const,
      request: { body: { required: true, content: { 'application/json': { schema: thing } } } },
      responses: { 200: { description: 'Accepted.' } },
    }),
    (c) => c.json({ validated: c.req.valid('json') }, 200),
  );
  router.openapi(
    createRoute({
      method: 'get',
      path: '/v1/items/{id}',
      request: { params: z.object({ id: z.string() }) },
      responses: { 200: { description: 'An item.' } },
    }),
    (c) => c.json({ id: c.req.valid('param').id }, 200),
  );
  app.route('/', router);

  return {
    app,
    metrics,
    logs,
    runs: () => runs,
    unpark: () => {
      for (const resolve of parked) resolve();
      parked = [];
    },
  };
}

/** The error body every refusal carries. */
export interface ErrorAnswer {
  error: {
    code: string;
    message: string;
    hint?: string;
    retryable: boolean;
    requestId?: string;
    details?: Record<string, unknown>;
  };
}
