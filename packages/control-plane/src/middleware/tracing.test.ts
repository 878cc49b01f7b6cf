import { Writable } from 'node:stream';
import { IsotypError, isIsotypError } from '@isotyp/protocol';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../scripts/test-support/free-port.mjs';
import { createBareApp } from '../app.js';
import { resolveConfig } from '../config.js';
import { ADMIN_PASSWORD, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';
import { type OtlpCollector, SPAN_KIND, STATUS_CODE, startOtlpCollector } from '../test-support/otlp-collector.js';
import { accessLog } from './access-log.js';
import { requestId } from './request-id.js';
import { guardExporter, type TracingOptions, tracesUrl, tracing } from './tracing.js';

let collector: OtlpCollector;
beforeAll(async () => {
  collector = await startOtlpCollector();
});
afterAll(() => collector.close());

/** A bare app with requestId → tracing → accessLog and three routes; its log lines in `logs`. */
function tracedApp(config: TracingOptions['config'], extra: Partial<TracingOptions> = {}) {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const traces = tracing({ config, logger, ...extra });
  const app = createBareApp(logger);
  app.use(requestId({ logger }), traces, accessLog());
  app.get('/v1/things/:id', (c) => c.json({ id: c.req.param('id') }));
  app.get('/v1/boom', () => {
    throw new Error('ALTER TABLE orders DROP COLUMN total; password=hunter2');
  });
  app.get('/v1/gone/:id', () => {
    throw new IsotypError('ISOTYP_NOT_FOUND', 'No such thing.');
  });
  return { app, traces, logs };
}

describe('tracing middleware', () => {
  it('continues the caller’s trace in a server span named by route pattern, and echoes traceparent', async () => {
    const { app, traces, logs } = tracedApp({ otlpEndpoint: collector.url, serviceName: 'cp-under-test' });
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await app.request('/v1/things/thg_8Hk2mQ?token=s3cret-query', {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01`, 'x-request-id': 'req-trace-1' },
    });
    expect(res.status).toBe(200);
    await traces.flush();

    const span = collector.spans.find((s) => s.attributes['isotyp.request_id'] === 'req-trace-1');
    expect(span).toMatchObject({
      service: 'cp-under-test',
      name: 'GET /v1/things/:id',
      kind: SPAN_KIND.server,
      traceId: callerTrace,
      parentSpanId: callerSpan,
      status: { code: STATUS_CODE.unset },
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/v1/things/:id',
        'url.path': '/v1/things/thg_8Hk2mQ',
        'http.response.status_code': 200,
      },
    });
    expect(res.headers.get('traceparent')).toBe(`00-${callerTrace}-${span?.spanId}-01`);
    // The access log line joins the trace.
    expect(logs.find((l) => l.msg === 'request')).toMatchObject({ requestId: 'req-trace-1', traceId: callerTrace });
    expect(collector.raw.join('')).not.toContain('s3cret-query');
  });

  it('starts a trace when the caller sent none, and a malformed traceparent is not continued', async () => {
    const { app, traces } = tracedApp({ otlpEndpoint: collector.url });
    const fresh = await app.request('/v1/things/a', { headers: { 'x-request-id': 'req-fresh' } });
    const forged = await app.request('/v1/things/b', {
      headers: { traceparent: '00-zzzz-not-a-trace-01', 'x-request-id': 'req-forged' },
    });
    await traces.flush();
    for (const [res, id] of [
      [fresh, 'req-fresh'],
      [forged, 'req-forged'],
    ] as const) {
      const span = collector.spans.find((s) => s.attributes['isotyp.request_id'] === id);
      expect(span?.parentSpanId).toBe('');
      expect(span?.service).toBe('isotyp-control-plane');
      expect(res.headers.get('traceparent')).toBe(`00-${span?.traceId}-${span?.spanId}-01`);
    }
  });

  it('marks 5xx spans as errors and puts the error code on 4xx, with no message text exported', async () => {
    const { app, traces } = tracedApp({ otlpEndpoint: collector.url });
    expect((await app.request('/v1/boom', { headers: { 'x-request-id': 'req-500' } })).status).toBe(500);
    expect((await app.request('/v1/gone/x1', { headers: { 'x-request-id': 'req-404' } })).status).toBe(404);
    expect((await app.request('/v1/nowhere/x2', { headers: { 'x-request-id': 'req-unmatched' } })).status).toBe(404);
    await traces.flush();
    const byRequest = (id: string) => collector.spans.find((s) => s.attributes['isotyp.request_id'] === id);
    expect(byRequest('req-500')).toMatchObject({
      name: 'GET /v1/boom',
      status: { code: STATUS_CODE.error, message: '500' },
      attributes: { 'http.response.status_code': 500, 'error.type': '500' },
    });
    expect(byRequest('req-404')).toMatchObject({
      name: 'GET /v1/gone/:id',
      status: { code: STATUS_CODE.unset },
      attributes: { 'http.response.status_code': 404, 'error.type': 'ISOTYP_NOT_FOUND' },
    });
    expect(byRequest('req-unmatched')).toMatchObject({
      attributes: { 'http.route': '(unmatched)', 'error.type': '404' },
    });
    const wire = collector.raw.join('');
    for (const leak of ['ALTER TABLE', 'hunter2', 'password']) expect(wire).not.toContain(leak);
  });

  it('is a pass-through when not configured: no span, no traceparent, no trace id in the log', async () => {
    const { app, logs } = tracedApp(undefined);
    const before = collector.spans.length;
    const res = await app.request('/v1/things/z', {
      headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toBeNull();
    expect(logs.find((l) => l.msg === 'request')).not.toHaveProperty('traceId');
    expect(collector.spans.length).toBe(before);
  });

  it('keeps answering when the collector is unreachable, warning once per interval', async () => {
    const closedPort = await freePort();
    const { app, traces, logs } = tracedApp(
      { otlpEndpoint: `http://127.0.0.1:${closedPort}` },
      { exportTimeoutMs: 300 },
    );
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) expect((await app.request(`/v1/things/t${i}`)).status).toBe(200);
      await traces.flush();
    }
    const warnings = logs.filter((l) => String(l.msg).startsWith('trace export failed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, reason: 'ECONNREFUSED' });
  });
});

describe('guardExporter', () => {
  it('exports only allow-listed attributes with safe values, and no events', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(guardExporter(memory, { warn: () => {} }))],
    });
    const span = provider.getTracer('t').startSpan('op', {
      attributes: {
        'http.route': '/v1/changes/:id',
        'error.type': 'ALTER TABLE orders ADD COLUMN x',
        'db.statement': 'CREATE TABLE secrets (id INT)',
        'url.full': 'postgres://isotyp:pa55word@db/isotyp',
        'isotyp.request_id': 'x@y',
        authorization: 'Bearer tok_abc',
      },
    });
    span.recordException(new Error('connection to postgres://isotyp:pa55word@db failed'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'syntax error at or near "DROP"' });
    span.end();
    await provider.forceFlush();
    const [exported] = memory.getFinishedSpans() as ReadableSpan[];
    expect(exported?.attributes).toEqual({ 'http.route': '/v1/changes/:id' });
    expect(exported?.events).toEqual([]);
    expect(exported?.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(exported?.spanContext().traceId).toBe(span.spanContext().traceId);
  });
});

describe('tracing configuration', () => {
  it('refuses a malformed or non-HTTP endpoint with ISOTYP_CONFIG_INVALID and a hint', () => {
    for (const otlpEndpoint of ['not a url', 'ftp://collector:4318', '']) {
      let caught: unknown;
      try {
        resolveConfig({ tracing: { otlpEndpoint } });
      } catch (error) {
        caught = error;
      }
      expect(isIsotypError(caught) && caught.code).toBe('ISOTYP_CONFIG_INVALID');
      expect((caught as IsotypError).message).toContain('tracing.otlpEndpoint');
      expect((caught as IsotypError).hint).toBeTruthy();
    }
    expect(() => resolveConfig({ tracing: { otlpEndpoint: 'http://c:4318', sampleRatio: 2 } })).toThrow(/sampleRatio/);
    expect(resolveConfig({ tracing: { otlpEndpoint: 'https://c:4318' } }).tracing?.otlpEndpoint).toBe('https://c:4318');
  });

  it('appends /v1/traces to a base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT is read', () => {
    expect(tracesUrl('http://c:4318')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('http://c:4318/otlp/')).toBe('http://c:4318/otlp/v1/traces');
    expect(tracesUrl('http://c:4318/v1/traces')).toBe('http://c:4318/v1/traces');
  });
});

describe('tracing in the running control plane', () => {
  let cp: LiveControlPlane;
  beforeAll(async () => {
    cp = await liveControlPlane(undefined, { tracing: { otlpEndpoint: collector.url } });
  });
  afterAll(() => cp?.close());

  it('continues a caller’s trace over real HTTP, by route pattern, and exports no password or token', async () => {
    const token = await cp.login('admin@acme.test');
    const callerTrace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const callerSpan = '1122334455667788';
    const answer = await cp.call('GET', '/v1/changes/chg_doesNotExist01', {
      token,
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    expect(answer.status).toBe(404);
    const echoed = answer.headers.get('traceparent') ?? '';
    expect(echoed).toMatch(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`));
    const span = await collector.waitFor((s) => s.traceId === callerTrace);
    expect(span).toMatchObject({
      service: 'isotyp-control-plane',
      kind: SPAN_KIND.server,
      name: 'GET /v1/changes/:id',
      parentSpanId: callerSpan,
      spanId: echoed.split('-')[2],
      attributes: {
        'http.route': '/v1/changes/:id',
        'url.path': '/v1/changes/chg_doesNotExist01',
        'http.response.status_code': 404,
        'error.type': 'ISOTYP_NOT_FOUND',
        'isotyp.principal.kind': 'user',
      },
    });
    const login = await collector.waitFor((s) => s.name === 'POST /v1/auth/login');
    expect(login?.attributes['http.response.status_code']).toBe(200);
    const wire = collector.raw.join('');
    for (const leak of [ADMIN_PASSWORD, token, 'admin@acme.test']) expect(wire).not.toContain(leak);
  });
});
