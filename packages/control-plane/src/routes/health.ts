import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { Registry } from 'prom-client';
import { createRouter } from '../app.js';
import type { AppEnv } from '../context.js';
import type { Store } from '../storage/store.js';

export interface HealthRoutesDeps {
  store: Store;
  registry: Registry;
  /**
   * The text `/metrics` answers, when it is more than `registry`'s: a worker answers every
   * worker's metrics, summed (see cluster/).
   */
  exposition?: () => Promise<string>;
  /** How long /readyz waits for the database to answer. */
  readyTimeoutMs?: number;
}

const status = z.object({ status: z.string() }).openapi('Status');
const unavailable = {
  content: {
    'application/json': {
      schema: z.object({ error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }) }),
    },
  },
  description: 'The database did not answer in time.',
};

/**
 * Probes and metrics, all public: `GET /healthz` answers 200 while the process serves HTTP
 * (liveness); `GET /readyz` answers 200 only when the store answers a ping within
 * `readyTimeoutMs` and 503 ISOTYP_UNAVAILABLE otherwise (readiness: take the replica out of the
 * load balancer, do not restart it); `GET /metrics` is the Prometheus text of `registry` (of
 * every worker's, summed, with `exposition`).
 *
 * @example
 * app.route('/', healthRoutes({ store, registry: metrics.registry }));
 */
export function healthRoutes({
  store,
  registry,
  exposition = () => registry.metrics(),
  readyTimeoutMs = 2000,
}: HealthRoutesDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['operations'],
      responses: { 200: { content: { 'application/json': { schema: status } }, description: 'Alive.' } },
    }),
    (c) => c.json({ status: 'ok' }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['operations'],
      responses: {
        200: { content: { 'application/json': { schema: status } }, description: 'Ready: the database answers.' },
        503: unavailable,
      },
    }),
    async (c) => {
      if (!(await pingWithin(store, readyTimeoutMs))) {
        throw new IsotypError('ISOTYP_UNAVAILABLE', 'The database is not answering.', {
          hint: 'Check the database server and the control plane setting database.',
        });
      }
      return c.json({ status: 'ready' }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['operations'],
      responses: {
        200: { content: { 'text/plain': { schema: z.string() } }, description: 'Prometheus text exposition.' },
      },
    }),
    async (c) => c.text(await exposition(), 200, { 'content-type': registry.contentType }),
  );

  return app;
}

/** True when `ping()` resolves true in time; a rejection or a hang both count as not ready. */
async function pingWithin(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([store.ping().then((ok) => ok === true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
