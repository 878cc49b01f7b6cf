import { OpenAPIHono } from '@hono/zod-openapi';
import { IsotypError } from '@isotyp/protocol';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { agentServices } from './agents/services.js';
import type { WorkerPeers } from './cluster/peers.js';
import type { ControlPlaneConfig } from './config.js';
import { consoleRoutes } from './console/console-routes.js';
import { CONSOLE_PATH } from './console/session.js';
import type { AppEnv } from './context.js';
import { EventHub } from './events/event-hub.js';
import { toHttpError } from './http/http-error.js';
import { createIdentity, identityRoutes } from './identity/index.js';
import { createMetrics } from './metrics.js';
import {
  accessLog,
  idempotency,
  jsonBody,
  loadShedding,
  rateLimit,
  requestId,
  tracing,
  transaction,
} from './middleware/index.js';
import { SharedCounts } from './middleware/shared-counts.js';
import { oidcRoutes } from './oidc/oidc-routes.js';
import { agentLinkRoutes } from './routes/agent-link.js';
import { agentRoutes } from './routes/agents.js';
import { auditRoutes } from './routes/audit.js';
import { catalogRoutes } from './routes/catalog.js';
import { changeRoutes } from './routes/changes.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { suggestionDraftRoutes } from './routes/suggestion-drafts.js';
import { suggestionRoutes } from './routes/suggestions.js';
import { trustRoutes } from './routes/trust.js';
import { webhookRoutes } from './routes/webhooks.js';
import { SecretSeal } from './storage/sealed-secrets.js';
import type { Store } from './storage/store.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  config: ControlPlaneConfig;
  /** Injected clock for tests of expiry; defaults to the system clock. */
  now?: () => Date;
  /** Key for the OIDC sign-in state cookie (≥ 32 bytes); derived from the client secret when absent. */
  oidcStateSecret?: Uint8Array;
  /** Tests only: lets the OIDC client talk to a plain-http provider on loopback. */
  allowInsecureIdp?: boolean;
  /** Called with work to finish when the control plane stops (before the store closes). */
  onClose?: (work: () => Promise<void>) => void;
  /** Tells the HTTPS server to take up a changed CA set now (after a rotation), not on its next check. */
  onTrustChanged?: () => Promise<void>;
  /** The replica's event hub (shared with its webhook dispatcher); made here when absent. */
  events?: EventHub;
  /** The other workers of a multi-process control plane (see cluster/); a single process has none. */
  peers?: WorkerPeers;
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
 * An app with the control plane's error rendering and nothing else: every thrown value becomes
 * `{error: {code, message, hint?, requestId}}` with the catalogue's status, unknown routes 404.
 * `createApp` builds on it; tests that assemble a few parts of the app start from it.
 */
export function createBareApp(logger: Logger): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.onError((error, c) => {
    const answer = toHttpError(error instanceof HTTPException ? fromHonoException(error) : error);
    const requestId = c.get('requestId');
    if (answer.status >= 500) {
      (c.get('logger') ?? logger).error({ err: error, requestId }, 'request failed');
    }
    // The rest of a refused body is never read: tell the client this connection is done, so
    // it does not send its next request down a socket the server is about to close.
    const headers = answer.status === 413 ? { ...answer.headers, connection: 'close' } : answer.headers;
    return c.json({ error: { ...answer.body.error, requestId } }, answer.status as 500, headers);
  });
  app.notFound((c) => {
    const answer = toHttpError(
      new IsotypError('ISOTYP_NOT_FOUND', `No route ${c.req.method} ${new URL(c.req.url).pathname}.`, {
        hint: 'The API is described at /v1/openapi.json.',
      }),
    );
    return c.json({ error: { ...answer.body.error, requestId: c.get('requestId') } }, 404, answer.headers);
  });
  return app;
}

/** Hono's own 4xx exceptions (a validator refusing a body, say) keep their status class. */
function fromHonoException(error: HTTPException): unknown {
  if (error.status === 413) return new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (error.status === 415)
    return new IsotypError('ISOTYP_UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  if (error.status >= 400 && error.status < 500) {
    return new IsotypError('ISOTYP_INVALID_INPUT', 'The request is malformed.', {
      hint: 'Compare it with /v1/openapi.json.',
    });
  }
  return error;
}

/** Methods that neither open a transaction nor take an idempotency key. */
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Never shed nor counted in the latency the shedding watches: probes, scrapes, and requests that
 * wait on purpose (the event stream, agents' long poll for work) — their duration is not load.
 */
const UNMEASURED = new Set(['/healthz', '/readyz', '/metrics', '/v1/events', '/v1/agent/work']);

/**
 * Builds the control plane's HTTP application: middleware in order, every resource router, the
 * OpenAPI document. Nothing here listens: `server.ts` does, and tests call `app.request()` or
 * serve it on loopback.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { store, logger, config } = deps;
  const window = config.rateLimit.windowSeconds;
  const identity = createIdentity({ store, config, ...(deps.now ? { now: deps.now } : {}) });
  const metrics = createMetrics();
  const app = createBareApp(logger);
  // Replicas share PostgreSQL, and with it their rate-limit counts (workers on it too, since they
  // may be some of many replicas); workers on SQLite share theirs through their primary process.
  const counts = store.dialect === 'postgres' ? store.rateLimits : deps.peers?.rateLimits;
  const shared = counts === undefined ? undefined : new SharedCounts({ counts, logger, keepMs: 3 * window * 1000 });
  deps.peers?.exposeMetrics(metrics.registry);
  if (shared !== undefined) deps.onClose?.(() => shared.close());

  // Order matters; see middleware/index.ts for why each step sits where it does.
  app.use(
    requestId({ logger }),
    // Off, it is left out rather than mounted as a step that only calls the next.
    ...(config.tracing === undefined ? [] : [tracing({ config: config.tracing, logger, onClose: deps.onClose })]),
    accessLog(),
    metrics.middleware,
    ...(config.latencyBudgetMs > 0
      ? [loadShedding({ budgetMs: config.latencyBudgetMs, exempt: (path) => UNMEASURED.has(path) })]
      : []),
    rateLimit({ scope: 'ip', limit: config.rateLimit.perIp, windowSeconds: window, shared }),
    apiOnly(jsonBody({ limitBytes: config.bodyLimitBytes })),
    identity.authenticate,
    rateLimit({ scope: 'principal', limit: config.rateLimit.perPrincipal, windowSeconds: window, shared }),
  );
  // Every authenticated write is safe to retry. Sign-in routes have no principal to key by (and
  // a password must not be stored in an idempotency record). One mount: Hono's `/x/*` also
  // matches `/x`, so two overlapping mounts would claim the same key twice.
  const retrySafe = idempotency({
    store,
    seal: SecretSeal.of(config.caPassphrase),
    ...(deps.now ? { now: deps.now } : {}),
  });
  // Heartbeats are last-writer-wins reports, sent every few seconds by every agent: repeating
  // one is harmless, and keeping an answer per heartbeat would fill the idempotency table.
  const notRetried = (path: string) => path.startsWith('/v1/auth/') || path === '/v1/agent/heartbeat';
  // Each write request one transaction, but heartbeats (buffered, written in batches) and sign-in:
  // issuing a token may wait on the signing-key load another request started, which on SQLite's
  // one connection could not run while this request's transaction is open.
  const inTransaction = transaction({ store, exempt: notRetried });
  const once = async (c: Context<AppEnv>, next: Next): Promise<void> => {
    if (notRetried(c.req.path)) return next();
    // A replayed answer, set as Hono sets what a middleware returns.
    const replayed = await retrySafe(c, next);
    if (replayed instanceof Response) c.res = replayed;
  };
  // One step for both, and reads (the most requests by far) pass it at once.
  app.use('/v1/*', (c, next) => (READS.has(c.req.method) ? next() : inTransaction(c, () => once(c, next))));

  app.route(
    '/',
    healthRoutes({ store, registry: metrics.registry, ...(deps.peers ? { exposition: deps.peers.metrics } : {}) }),
  );
  app.route('/', identityRoutes(identity));
  app.route(
    '/',
    oidcRoutes({
      store,
      config,
      logger,
      sessions: identity.sessions,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.oidcStateSecret ? { stateSecret: deps.oidcStateSecret } : {}),
      ...(deps.allowInsecureIdp ? { allowInsecureIdp: true } : {}),
    }),
  );
  app.route('/', catalogRoutes(deps));
  app.route('/', trustRoutes(deps));
  app.route('/', changeRoutes(deps));
  app.route('/', auditRoutes(deps));
  app.route('/', suggestionRoutes(deps));
  app.route('/', suggestionDraftRoutes(deps));
  app.route('/', eventRoutes({ hub: deps.events ?? new EventHub(store, logger) }));
  app.route('/', webhookRoutes(deps));
  const agents = agentServices(deps);
  app.route('/', agentRoutes(deps, agents));
  app.route('/', agentLinkRoutes(deps, agents));
  // The web console: pages over this same API, called in-process as the signed-in person.
  app.route(
    '/',
    consoleRoutes({
      config,
      logger,
      fetchApi: (request, env) => app.fetch(request, env),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  documentApi(app);
  return app;
}

/**
 * The API's strict JSON body rules everywhere but the console, whose sign-in and sign-out are
 * web forms; what the console forwards to the API is judged by these rules on the inner request.
 */
function apiOnly(middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.path.startsWith(`${CONSOLE_PATH}/`) ? next() : middleware(c, next));
}

/** Serves the OpenAPI 3.1 document of every route registered on `app` at /v1/openapi.json. */
export function documentApi(app: OpenAPIHono<AppEnv>): void {
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Isotyp control plane',
      version: '1',
      description: 'Brokers change requests, approvals, digests and audit checkpoints.',
    },
  });
}
