import { isIsotypError } from '@isotyp/protocol';
import type {
  Attributes,
  AttributeValue,
  Context as OtelContext,
  Span,
  TextMapPropagator,
  Tracer,
} from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from '../config.js';
import type { AppEnv } from '../context.js';
import { routePattern } from '../http/route-pattern.js';

export type TracingConfig = NonNullable<ControlPlaneConfig['tracing']>;

export interface TracingOptions {
  /** `config.tracing`; absent: the middleware passes requests through and loads nothing. */
  config?: TracingConfig | undefined;
  logger: Logger;
  /** Registers the final flush with the app's shutdown (`AppDeps.onClose`). */
  onClose?: ((work: () => Promise<void>) => void) | undefined;
  /** How long one export may take, retries included. Default 5 s. */
  exportTimeoutMs?: number;
}

/** The middleware, and `flush()` to send what is buffered now (tests; shutdown does it too). */
export type TracingMiddleware = MiddlewareHandler<AppEnv> & { flush(): Promise<void> };

/**
 * The only span attributes that ever leave the process. Everything else a library or a future
 * edit might set is dropped before export, and so are events (an exception's message can hold a
 * statement or a connection string). Values must also pass {@link SAFE_VALUE}.
 */
export const EXPORTED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'http.request.method',
  'http.route',
  'http.response.status_code',
  'http.request.resend_count',
  'url.path',
  'url.scheme',
  'server.address',
  'server.port',
  'error.type',
  'isotyp.request_id',
  'isotyp.principal.kind',
  'isotyp.change.id',
  'isotyp.target.name',
  'isotyp.targets.count',
  'isotyp.changes.count',
  'isotyp.outcome',
]);

/** No spaces, quotes, `@`, `=`, `?` or `;`: no statement, connection string or query fits. */
export const SAFE_VALUE = /^[A-Za-z0-9._~:/(){}%+-]{0,256}$/;

const KNOWN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const traceIds = new WeakMap<Context, string>();

/**
 * OpenTelemetry server spans, one per request: the caller's W3C `traceparent`/`tracestate` is
 * continued, the span is named `METHOD /route/:pattern`, carries `http.request.method`,
 * `http.route`, `url.path` (no query), `http.response.status_code`, `isotyp.request_id` and, on
 * a 4xx/5xx, `error.type` (the Isotyp error code); 5xx set the span's status to ERROR. The answer
 * echoes `traceparent` so a caller can find the trace. Spans go over OTLP/HTTP from a batch;
 * an unreachable collector costs a warning a minute, never a request. Without `config` nothing
 * is loaded and the middleware only calls `next()`. Mount it right after `requestId`.
 *
 * @example
 * app.use(requestId({ logger }), tracing({ config: config.tracing, logger, onClose }), accessLog());
 */
export function tracing({ config, logger, onClose, exportTimeoutMs = 5000 }: TracingOptions): TracingMiddleware {
  if (config === undefined) {
    const passThrough: MiddlewareHandler<AppEnv> = (_c, next) => next();
    return Object.assign(passThrough, { flush: async () => {} });
  }
  let loaded: Loaded | undefined;
  const ready = load(config, logger, exportTimeoutMs).then(
    (value) => {
      loaded = value;
      return value;
    },
    (error: unknown) => {
      logger.warn({ reason: errorName(error) }, 'tracing could not start; requests are not traced');
      return undefined;
    },
  );
  onClose?.(async () => (await ready)?.shutdown());

  const middleware: MiddlewareHandler<AppEnv> = async function tracingMiddleware(c, next) {
    const t = loaded ?? (await ready);
    if (t === undefined) return next();
    const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : '_OTHER';
    const parent = t.propagator.extract(t.root, c.req.raw.headers, HEADERS_GETTER);
    const span = t.tracer.startSpan(
      method,
      {
        kind: t.serverKind,
        attributes: {
          'http.request.method': method,
          'url.path': c.req.path.slice(0, 256),
          'url.scheme': new URL(c.req.url).protocol.replace(':', ''),
          'isotyp.request_id': c.get('requestId'),
        },
      },
      parent,
    );
    traceIds.set(c, span.spanContext().traceId);
    const carrier: Record<string, string> = {};
    t.propagator.inject(t.withSpan(span), carrier, HEADERS_SETTER);
    // Before the answer exists, as requestId does, so errors from later steps carry it too.
    if (carrier.traceparent !== undefined) c.header('traceparent', carrier.traceparent);
    try {
      await next();
    } finally {
      endServerSpan(c, span, method, t);
    }
  };
  return Object.assign(middleware, {
    flush: async () => {
      await (await ready)?.flush();
    },
  });
}

/** The trace id of this request's span, for log lines; undefined when tracing is off. */
export function traceIdOf(c: Context): string | undefined {
  return traceIds.get(c);
}

function endServerSpan(c: Context<AppEnv>, span: Span, method: string, t: Loaded): void {
  if (!span.isRecording()) return;
  const status = c.res.status;
  const route = routePattern(c);
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
  span.setAttribute('http.response.status_code', status);
  const principal = c.get('principal');
  if (principal) span.setAttribute('isotyp.principal.kind', principal.kind);
  if (status >= 400) {
    const error = c.error;
    const type = isIsotypError(error) ? error.code : String(status);
    span.setAttribute('error.type', type);
    // Semantic conventions: a 4xx is the caller's mistake, not the server's; only 5xx are errors.
    if (status >= 500) span.setStatus({ code: t.errorCode, message: type });
  }
  span.end();
}

interface Loaded {
  tracer: Tracer;
  propagator: TextMapPropagator;
  root: OtelContext;
  withSpan(span: Span): OtelContext;
  serverKind: number;
  errorCode: number;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const HEADERS_GETTER = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => {
    const names: string[] = [];
    carrier.forEach((_value, name) => {
      names.push(name);
    });
    return names;
  },
};
const HEADERS_SETTER = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/**
 * The SDK, loaded only when tracing is configured. No global provider, propagator or context
 * manager is registered: two apps in one process (tests) keep their own, and the parent of each
 * server span is passed explicitly.
 */
async function load(config: TracingConfig, logger: Logger, exportTimeoutMs: number): Promise<Loaded> {
  const [api, core, resources, base, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const exporter = guardExporter(
    new otlp.OTLPTraceExporter({ url: tracesUrl(config.otlpEndpoint), timeoutMillis: exportTimeoutMs }),
    logger,
  );
  const processor = new base.BatchSpanProcessor(exporter, { exportTimeoutMillis: exportTimeoutMs + 1000 });
  const provider = new base.BasicTracerProvider({
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({
        'service.name': config.serviceName ?? 'isotyp-control-plane',
        'service.version': VERSION,
      }),
    ),
    sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(config.sampleRatio ?? 1) }),
    spanProcessors: [processor],
  });
  const root = api.ROOT_CONTEXT;
  return {
    tracer: provider.getTracer('@isotyp/control-plane', VERSION),
    propagator: new core.W3CTraceContextPropagator(),
    root,
    withSpan: (span) => api.trace.setSpan(root, span),
    serverKind: api.SpanKind.SERVER,
    errorCode: api.SpanStatusCode.ERROR,
    // A failed export was reported by the guard already: neither rejects.
    flush: () => provider.forceFlush().catch(() => {}),
    // A collector that is down must not hold the shutdown for the exporter's whole retry budget.
    shutdown: () =>
      Promise.race([provider.shutdown().catch(() => {}), new Promise<void>((r) => setTimeout(r, 2000).unref())]),
  };
}

const VERSION = '0.1.0';

/** `OTEL_EXPORTER_OTLP_ENDPOINT` semantics: a base URL, to which `/v1/traces` is appended. */
export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.href;
}

/**
 * The exporter every span leaves through: attributes cut down to {@link EXPORTED_ATTRIBUTES} with
 * safe values, events and links dropped, status messages kept only when safe; a failed export
 * logged as a warning at most once a minute (spans are dropped, never retried forever or thrown).
 */
export function guardExporter(
  inner: SpanExporter,
  logger: Pick<Logger, 'warn'>,
  { warnEveryMs = 60_000, now = Date.now }: { warnEveryMs?: number; now?: () => number } = {},
): SpanExporter {
  let lastWarning = Number.NEGATIVE_INFINITY;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans.map(redactSpan), (result) => {
        if (result.code !== 0 && now() - lastWarning >= warnEveryMs) {
          lastWarning = now();
          logger.warn(
            { reason: errorName(result.error), spans: spans.length },
            'trace export failed; spans dropped (next warning in a minute at the earliest)',
          );
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush?.() ?? Promise.resolve() } : {}),
  };
}

/** A view of `span` with only allowed, safe attributes and no events or links. */
export function redactSpan(span: ReadableSpan): ReadableSpan {
  const attributes = safeAttributes(span.attributes);
  const message = span.status.message;
  return Object.create(span, {
    attributes: { value: attributes },
    events: { value: [] },
    links: { value: [] },
    status: {
      value: { code: span.status.code, ...(message !== undefined && SAFE_VALUE.test(message) ? { message } : {}) },
    },
    droppedAttributesCount: {
      value: span.droppedAttributesCount + Object.keys(span.attributes).length - Object.keys(attributes).length,
    },
    droppedEventsCount: { value: span.droppedEventsCount + span.events.length },
  }) as ReadableSpan;
}

/** The allowed subset of `attributes`: known keys, finite numbers, booleans and safe strings. */
export function safeAttributes(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (EXPORTED_ATTRIBUTES.has(key) && isSafe(value)) kept[key] = value;
  }
  return kept;
}

function isSafe(value: AttributeValue | undefined): boolean {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && SAFE_VALUE.test(value);
}

/** A secret-free word for why something failed: a system error code or the error's class. */
function errorName(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : 'unknown';
}
