import { createRequire } from 'node:module';
import {
  type Attributes,
  type AttributeValue,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { type ActiveTracing, errorType, type TracingLog, type TracingSettings } from './tracing.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * The only span attributes that leave this process (the control plane keeps the same list, in
 * its middleware/tracing.ts); values must also match {@link SAFE_VALUE}. Events and links are
 * dropped: an exception's message may quote a statement or a connection string.
 */
const EXPORTED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'http.request.method',
  'http.response.status_code',
  'http.request.resend_count',
  'url.path',
  'url.template',
  'server.address',
  'server.port',
  'error.type',
  'isotyp.change.id',
  'isotyp.target.name',
  'isotyp.targets.count',
  'isotyp.changes.count',
  'isotyp.outcome',
]);
/** No spaces, quotes, `@`, `=`, `?` or `;`: no statement, connection string or query fits. */
const SAFE_VALUE = /^[A-Za-z0-9._~:/(){}%+-]{0,256}$/;
/** Ids the control plane makes (`chg_…`, ULIDs, UUIDs, numbers), templated out of span names. */
const ID_SEGMENT = /^(?:[a-z]{2,6}_[A-Za-z0-9_-]{8,}|[0-9a-fA-F-]{32,36}|\d+)$/;

/**
 * The OpenTelemetry SDK for the agent and the CLI: a batch of spans to OTLP/HTTP, W3C trace
 * context on every request, the current span kept per async call chain. Nothing is registered
 * globally. Loaded by `startTracing` only when an endpoint is configured.
 */
export function createTracing(settings: TracingSettings, log: TracingLog): ActiveTracing {
  const contexts = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  const exporter = guardExporter(new OTLPTraceExporter({ url: settings.tracesUrl, timeoutMillis: 5000 }), log);
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': VERSION }),
    ),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: 6000 })],
  });
  const tracer = provider.getTracer('@isotyp/cli', VERSION);

  return {
    async step(name, attributes, work) {
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, contexts.active());
      try {
        const result = await contexts.with(trace.setSpan(contexts.active(), span), work);
        span.setAttribute('isotyp.outcome', 'ok');
        return result;
      } catch (error) {
        const type = errorType(error);
        span.setAttributes({ 'isotyp.outcome': 'failed', 'error.type': type });
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
        throw error;
      } finally {
        span.end();
      }
    },
    clientSpan(method, url, headers, resendCount) {
      const template = url.pathname
        .split('/')
        .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
        .join('/');
      const span: Span = tracer.startSpan(
        `${method} ${template}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'http.request.method': method,
            'url.path': url.pathname,
            'url.template': template,
            'server.address': url.hostname.replace(/^\[|\]$/g, ''),
            'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
            ...(resendCount > 0 ? { 'http.request.resend_count': resendCount } : {}),
          },
        },
        contexts.active(),
      );
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, {
        set: (carrier, key, value) => {
          carrier[key] = value;
        },
      });
      return {
        end(status, type) {
          if (status !== undefined) span.setAttribute('http.response.status_code', status);
          const failure = type ?? (status !== undefined && status >= 400 ? String(status) : undefined);
          if (failure !== undefined) {
            span.setAttribute('error.type', failure);
            span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
          }
          span.end();
        },
      };
    },
    async shutdown() {
      // A collector that is down must not hold the exit for the exporter's whole retry budget.
      // A failed export was reported by the guard already.
      await Promise.race([provider.shutdown().catch(() => {}), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
      contexts.disable();
    },
  };
}

/**
 * Every span leaves through this: only allowed attributes with safe values, no events or links;
 * a failed export is one warning a minute at most, never thrown (the spans are dropped).
 */
function guardExporter(inner: SpanExporter, log: TracingLog): SpanExporter {
  let lastWarning = Number.NEGATIVE_INFINITY;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans.map(redactSpan), (result) => {
        if (result.code !== 0 && Date.now() - lastWarning >= 60_000) {
          lastWarning = Date.now();
          log.warn(
            { reason: errorName(result.error), spans: spans.length },
            'trace export failed; spans dropped (next warning in a minute at the earliest)',
          );
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

function redactSpan(span: ReadableSpan): ReadableSpan {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (EXPORTED_ATTRIBUTES.has(key) && isSafe(value)) attributes[key] = value;
  }
  const message = span.status.message;
  return Object.create(span, {
    attributes: { value: attributes },
    events: { value: [] },
    links: { value: [] },
    status: {
      value: { code: span.status.code, ...(message !== undefined && SAFE_VALUE.test(message) ? { message } : {}) },
    },
  }) as ReadableSpan;
}

function isSafe(value: AttributeValue | undefined): boolean {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && SAFE_VALUE.test(value);
}

function errorName(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : 'unknown';
}
