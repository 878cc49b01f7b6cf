import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIsotypError } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CollectedSpan,
  type OtlpCollector,
  SPAN_KIND,
  STATUS_CODE,
  startOtlpCollector,
} from '../../../../control-plane/src/test-support/otlp-collector.js';
import { ControlPlaneClient } from '../../services/control-plane/client.js';
import { runCliAsync, scratchHome } from '../../services/control-plane/test-support/run-cli-async.js';
import { resolveTracing, startTracing, stopTracing, traced } from '../../services/tracing.js';
import {
  eventually,
  ordersTarget,
  siteAdmin,
  siteReviewer,
  startAgentDaemon,
  startGovernedSite,
} from '../../test-support/agent-daemon.js';

/*
 * Traces from the agent to the control plane, over real parts: a loopback OTLP/HTTP collector
 * receives what the agent daemon (the built binary) and the HTTPS control plane export, and the
 * spans must join into one trace per agent round — the agent's client span the parent of the
 * control plane's server span — while nothing secret reaches the collector.
 */
describe('tracing from agent to control plane', () => {
  let collector: OtlpCollector;
  let site: Awaited<ReturnType<typeof startGovernedSite>>;
  beforeAll(async () => {
    collector = await startOtlpCollector();
    site = await startGovernedSite({ tracing: { otlpEndpoint: collector.url } });
  }, 120_000);
  afterAll(async () => {
    await site?.cp.close();
    await collector?.close();
  });

  it('joins the daemon’s rounds and the control plane’s answers in one trace, leaking nothing', async () => {
    const { homes, cp } = site;
    await site.enrolAgent();
    // Tracing from the daemon's own configuration (the environment would override it).
    const { db, schema, config } = ordersTarget(homes.agent, {
      sql: 'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);',
      extraConfig: `tracing:\n  otlpEndpoint: ${collector.url}\n  serviceName: edge-agent\n`,
    });
    const daemon = startAgentDaemon(config, homes.agent);
    let changeId: string;
    try {
      const { change } = await site.submitApproved(db, schema);
      changeId = change.id;
      const applied = await eventually(
        async () => (await cp.store.changes.get('acme', change.id))?.state === 'applied',
      );
      expect(applied, daemon.logs()).toBe(true);
      // Exports are batched (every 5 s): wait for the apply's spans to arrive from both sides.
      const exported = await eventually(async () => {
        const apply = collector.spans.find((s) => s.name === 'isotyp.agent.apply');
        return collector.spans.some(
          (s) => s.traceId === apply?.traceId && s.attributes['url.path'] === `/v1/changes/${change.id}`,
        );
      });
      expect(exported, daemon.logs()).toBe(true);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    const byId = new Map(collector.spans.map((s) => [s.spanId, s]));
    const parentOf = (span: CollectedSpan | undefined) => (span ? byId.get(span.parentSpanId) : undefined);

    // A heartbeat: round → step → client span → server span, one trace id.
    const heartbeat = collector.spans.find(
      (s) => s.service === 'isotyp-control-plane' && s.attributes['http.route'] === '/v1/agent/heartbeat',
    );
    expect(heartbeat).toMatchObject({
      kind: SPAN_KIND.server,
      name: 'POST /v1/agent/heartbeat',
      attributes: { 'http.response.status_code': 200, 'isotyp.principal.kind': 'agent' },
    });
    const client = parentOf(heartbeat);
    expect(client).toMatchObject({
      service: 'edge-agent',
      kind: SPAN_KIND.client,
      traceId: heartbeat?.traceId,
      name: 'POST /v1/agent/heartbeat',
      attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 },
    });
    const step = parentOf(client);
    expect(step).toMatchObject({ name: 'isotyp.agent.heartbeat', service: 'edge-agent', kind: SPAN_KIND.internal });
    expect(parentOf(step)).toMatchObject({ name: 'isotyp.agent.round', parentSpanId: '' });

    // The apply: its requests carry ids, the control plane names them by route pattern.
    const apply = collector.spans.find((s) => s.name === 'isotyp.agent.apply');
    expect(apply?.attributes).toMatchObject({ 'isotyp.change.id': changeId, 'isotyp.outcome': 'ok' });
    // (The approver's CLI read it too, in a trace of its own: the agent's read is in the apply's.)
    const fetched = collector.spans.find(
      (s) =>
        s.service === 'isotyp-control-plane' &&
        s.traceId === apply?.traceId &&
        s.attributes['url.path'] === `/v1/changes/${changeId}`,
    );
    expect(fetched?.attributes).toMatchObject({ 'http.route': '/v1/changes/:id', 'http.request.method': 'GET' });
    expect(parentOf(fetched)).toMatchObject({ kind: SPAN_KIND.client, name: 'GET /v1/changes/{id}' });

    // Nothing secret or site-private on the wire: passwords, tokens, DDL, keys, connection strings.
    const session = JSON.parse(readFileSync(join(homes.admin, '.isotyp', 'session.json'), 'utf8'));
    const wire = collector.raw.join('\n');
    for (const leak of [
      siteAdmin.password,
      siteReviewer.password,
      session.accessToken,
      session.refreshToken,
      'CREATE TABLE',
      'ALTER TABLE',
      'currency',
      'PRIVATE KEY',
      'sqlite:',
      'Bearer',
    ]) {
      expect(wire).not.toContain(leak);
    }
  }, 120_000);

  it('marks a refused call as an error on the client span, under the caller’s span', async () => {
    const { cp, homes, caFile } = site;
    const session = JSON.parse(readFileSync(join(homes.admin, '.isotyp', 'session.json'), 'utf8'));
    const settings = resolveTracing(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, 'cli-under-test');
    expect(settings?.tracesUrl).toBe(`${collector.url}/v1/traces`);
    await startTracing(settings as NonNullable<typeof settings>, { warn: () => {} });
    const client = new ControlPlaneClient({
      server: cp.url,
      credentials: { kind: 'token', token: session.accessToken },
      tls: { ca: readFileSync(caFile, 'utf8') },
    });
    let refused: unknown;
    try {
      await traced('isotyp.test.lookup', {}, () => client.get('/v1/changes/chg_missing00000001', z.unknown()));
    } catch (error) {
      refused = error;
    } finally {
      await stopTracing();
    }
    expect(isIsotypError(refused) && refused.code).toBe('ISOTYP_NOT_FOUND');
    const lookup = collector.spans.find((s) => s.name === 'isotyp.test.lookup');
    expect(lookup).toMatchObject({
      service: 'cli-under-test',
      status: { code: STATUS_CODE.error },
      attributes: { 'error.type': 'ISOTYP_NOT_FOUND' },
    });
    const call = collector.spans.find((s) => s.parentSpanId === lookup?.spanId);
    expect(call).toMatchObject({
      kind: SPAN_KIND.client,
      traceId: lookup?.traceId,
      name: 'GET /v1/changes/{id}',
      status: { code: STATUS_CODE.error, message: 'ISOTYP_NOT_FOUND' },
      attributes: { 'http.response.status_code': 404, 'error.type': 'ISOTYP_NOT_FOUND' },
    });
    const server = await collector.waitFor((s) => s.parentSpanId === call?.spanId);
    expect(server).toMatchObject({
      service: 'isotyp-control-plane',
      kind: SPAN_KIND.server,
      traceId: lookup?.traceId,
      attributes: {
        'http.route': '/v1/changes/:id',
        'url.path': '/v1/changes/chg_missing00000001',
        'error.type': 'ISOTYP_NOT_FOUND',
      },
    });
  });
});

describe('tracing settings', () => {
  it('reads the standard OTEL_* variables over the file, and is off without an endpoint', () => {
    expect(resolveTracing(undefined, {}, 'isotyp-agent')).toBeUndefined();
    expect(
      resolveTracing({ otlpEndpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' }, 'isotyp-agent'),
    ).toBeUndefined();
    expect(resolveTracing({ otlpEndpoint: 'http://file:4318', sampleRatio: 0.5 }, {}, 'isotyp-agent')).toEqual({
      tracesUrl: 'http://file:4318/v1/traces',
      serviceName: 'isotyp-agent',
      sampleRatio: 0.5,
    });
    expect(
      resolveTracing(
        { otlpEndpoint: 'http://file:4318' },
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/custom',
          OTEL_SERVICE_NAME: 'edge',
          OTEL_TRACES_SAMPLER_ARG: '0.25',
        },
        'isotyp-agent',
      ),
    ).toEqual({ tracesUrl: 'http://env:4318/custom', serviceName: 'edge', sampleRatio: 0.25 });
  });

  it('refuses a malformed endpoint at start with ISOTYP_CONFIG_INVALID and a hint, never a stack', async () => {
    const home = scratchHome();
    const config = join(home, 'agent.yaml');
    writeFileSync(config, 'targets: {}\ntracing:\n  otlpEndpoint: "collector:4318"\n');
    const agent = await runCliAsync(['agent', 'start', '--config', config, '--skip-verify', '--json'], { home });
    const server = await runCliAsync(
      ['server', 'start', '--db', `sqlite:${join(home, 'cp.db')}`, '--port', '0', '--json'],
      { home, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318/not a url' } },
    );
    for (const result of [agent, server]) {
      expect(result.status).not.toBe(0);
      const output = result.stdout + result.stderr;
      expect(output).toContain('ISOTYP_CONFIG_INVALID');
      expect(output).not.toMatch(/\n\s+at /);
    }
    expect(agent.stdout + agent.stderr).toMatch(/otlpEndpoint/);
  });
});
