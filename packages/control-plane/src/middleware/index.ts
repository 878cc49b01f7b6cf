/**
 * The app-wide HTTP middleware. Mount it on the app before any route, in this order — each step
 * relies on the ones above it:
 *
 * 1. `requestId({ logger })` — first, so every answer (errors from the steps below included)
 *    carries `X-Request-Id` and every log line the request's id.
 * 2. `tracing({ config: config.tracing, logger, onClose })` — a server span per request that
 *    continues the caller's `traceparent`, with the request id on it and its trace id for the
 *    access log; without `config.tracing` it only calls `next()`.
 * 3. `accessLog()` — one line per request, timed around everything after it.
 * 4. `metrics.middleware` (`createMetrics()` in `../metrics.ts`) — counts what the client saw,
 *    429s and 413s included.
 * 5. `rateLimit({ scope: 'ip', limit: config.rateLimit.perIp, windowSeconds })` — before the
 *    body is read or credentials checked, so a flood costs as little as possible.
 * 6. `jsonBody({ limitBytes: config.bodyLimitBytes })` — before any validator or handler reads
 *    the body.
 * 7. authentication (sets `principal`).
 * 8. `rateLimit({ scope: 'principal', limit: config.rateLimit.perPrincipal, windowSeconds })`.
 *
 * Per router, not app-wide: `idempotency({ store })` on the routes whose POSTs must be safe to
 * retry (after 6 and 7, since it hashes the parsed body and keys by principal), and
 * `requireJsonBody()` in the `middleware` of a route whose body schema would accept `{}`.
 *
 * @example
 * const metrics = createMetrics();
 * app.use(
 *   requestId({ logger }),
 *   tracing({ config: config.tracing, logger }),
 *   accessLog(),
 *   metrics.middleware,
 *   rateLimit({ scope: 'ip', limit: config.rateLimit.perIp, windowSeconds: config.rateLimit.windowSeconds }),
 *   jsonBody({ limitBytes: config.bodyLimitBytes }),
 *   authenticate(deps),
 *   rateLimit({ scope: 'principal', limit: config.rateLimit.perPrincipal, windowSeconds: config.rateLimit.windowSeconds }),
 * );
 * app.route('/', healthRoutes({ store, registry: metrics.registry }));
 */
export { type AccessLogOptions, accessLog } from './access-log.js';
export { type IdempotencyOptions, idempotency } from './idempotency.js';
export { type JsonBodyOptions, jsonBody, jsonBodyOf, requireJsonBody } from './json-body.js';
export { type LoadSheddingOptions, loadShedding } from './load-shedding.js';
export { type RateLimitOptions, rateLimit } from './rate-limit.js';
export { REQUEST_ID_PATTERN, type RequestIdOptions, requestId, requestLogger } from './request-id.js';
export { type TracingConfig, type TracingMiddleware, type TracingOptions, traceIdOf, tracing } from './tracing.js';
export { type TransactionOptions, transaction } from './transaction.js';
