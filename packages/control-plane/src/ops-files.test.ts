import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type LiveControlPlane, liveControlPlane } from './test-support/live-control-plane.js';

/*
 * The Grafana dashboard and the Prometheus rules in ops/ are checked against what a running
 * control plane exports after some traffic: every metric they name must exist, with every label
 * they match on, and every recording rule they use must be defined — so neither can drift from
 * the code unnoticed.
 */
const root = new URL('../../../ops/', import.meta.url);
const rulesFile = YAML.parse(readFileSync(new URL('prometheus/isotyp-slo-rules.yml', root), 'utf8')) as {
  groups: { name: string; interval?: string; rules: Record<string, unknown>[] }[];
};
const dashboard = JSON.parse(readFileSync(new URL('grafana/isotyp-control-plane.json', root), 'utf8'));

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string; refId: string }[];
}

const panels: Panel[] = dashboard.panels;
const rules = rulesFile.groups.flatMap((group) => group.rules);
const recorded = new Set(rules.flatMap((rule) => (typeof rule.record === 'string' ? [rule.record] : [])));
const expressions = [
  ...rules.map((rule) => String(rule.expr)),
  ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
  ...dashboard.templating.list.flatMap((v: { query?: unknown }) => (typeof v.query === 'string' ? [v.query] : [])),
];

/** Every `isotyp…` series an expression selects, with the label names it matches on. */
function selectors(expr: string): { name: string; labels: string[] }[] {
  const found: { name: string; labels: string[] }[] = [];
  for (const match of expr.matchAll(/\b(isotyp[_:][A-Za-z0-9_:]*)(\{([^}]*)\})?/g)) {
    const labels = [...(match[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)].map(
      (m) => m[1] as string,
    );
    found.push({ name: match[1] as string, labels });
  }
  return found;
}

describe('ops files', () => {
  let cp: LiveControlPlane;
  let exposition: string;
  beforeAll(async () => {
    cp = await liveControlPlane();
    // Traffic of every kind the rules look at: reads, a sign-in, a 404, a refused heartbeat.
    const token = await cp.login('admin@acme.test');
    await cp.ok('GET', '/v1/projects', { token });
    await cp.call('GET', '/v1/changes/chg_missing00000001', { token });
    await cp.call('POST', '/v1/agent/heartbeat', { body: { version: '0', targets: [] } });
    await cp.ok('GET', '/healthz');
    await cp.call('GET', '/metrics');
    exposition = (await cp.call('GET', '/metrics')).body as string;
  });
  afterAll(() => cp?.close());

  it('name only metrics and labels a live control plane exports', () => {
    // name → its sample lines (a histogram's `_bucket`, `_sum` and `_count` are its samples).
    const types = new Map([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2]]));
    const samplesOf = (name: string) =>
      exposition.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
    const checked = new Set<string>();
    for (const expr of expressions) {
      for (const { name, labels } of selectors(expr)) {
        if (name.includes(':')) {
          expect(recorded, `${name} in ${expr}`).toContain(name);
          continue;
        }
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const family = types.has(name) ? name : base;
        expect(types.has(family), `${name} is not exported (in ${expr})`).toBe(true);
        const samples = samplesOf(name);
        expect(samples.length, `${name} has no samples`).toBeGreaterThan(0);
        for (const label of labels) {
          if (label === 'job' || label === 'instance') continue; // added by Prometheus when scraping
          expect(
            samples.some((line) => line.includes(`${label}="`)),
            `${name} has no label ${label} (in ${expr})`,
          ).toBe(true);
        }
        checked.add(family);
      }
    }
    // Not vacuous: the SLO inputs and the saturation and heartbeat panels are all covered.
    expect([...checked].sort()).toEqual([
      'isotyp_agent_heartbeats_total',
      'isotyp_event_loop_delay_max_seconds',
      'isotyp_event_loop_delay_p99_seconds',
      'isotyp_http_request_duration_seconds',
      'isotyp_http_requests_in_flight',
      'isotyp_http_requests_total',
    ]);
    // The latency SLO's threshold is a bucket boundary, or the ratio would be of nothing.
    expect(exposition).toMatch(/isotyp_http_request_duration_seconds_bucket\{le="0\.15",/);
    expect(exposition).toMatch(/isotyp_agent_heartbeats_total\{outcome="refused"\} 1/);
  });

  it('are well-formed rules: records and alerts with expressions, severities and summaries', () => {
    for (const rule of rules) {
      expect(typeof rule.expr, JSON.stringify(rule)).toBe('string');
      if ('record' in rule) {
        expect(rule.record).toMatch(/^isotyp:[a-z0-9_]+:[a-z0-9_]+$/);
        continue;
      }
      expect(rule.alert).toMatch(/^Isotyp[A-Za-z]+$/);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['page', 'ticket']).toContain((rule.labels as { severity?: string }).severity);
      expect((rule.annotations as { summary?: string }).summary).toBeTruthy();
    }
    // Multi-window, multi-burn-rate for the 99.9% availability SLO: 14.4x over 1h with 5m, 6x over 6h with 30m.
    const fast = rules.find((rule) => rule.alert === 'IsotypAvailabilityBudgetBurnFast');
    const expr = String(fast?.expr).replace(/\s+/g, ' ');
    expect(expr).toContain(
      'isotyp:http_request_errors:ratio_rate1h > (14.4 * 0.001) and isotyp:http_request_errors:ratio_rate5m > (14.4 * 0.001)',
    );
    expect(expr).toContain(
      'isotyp:http_request_errors:ratio_rate6h > (6 * 0.001) and isotyp:http_request_errors:ratio_rate30m > (6 * 0.001)',
    );
    // The latency SLO counts metadata reads slower than 150 ms.
    const latency = rules.find((rule) => rule.record === 'isotyp:metadata_requests_slow:ratio_rate1h');
    expect(String(latency?.expr)).toContain('le="0.15"');
    for (const name of [...expressions.join(' ').matchAll(/isotyp:[a-z0-9_:]+/g)].map((m) => m[0])) {
      expect(recorded).toContain(name);
    }
  });

  it('is a dashboard with the panels an operator needs', () => {
    expect(dashboard).toMatchObject({ uid: 'isotyp-control-plane', title: 'Isotyp control plane' });
    const titles = panels.map((panel) => panel.title);
    for (const wanted of [
      'Request rate by route',
      'Error rate (5xx share) and 4xx by status',
      'p95 latency by route',
      'p99 latency by route',
      'Agent heartbeats',
      'Event loop delay',
      'Availability burn rate',
      'Latency burn rate',
    ]) {
      expect(titles).toContain(wanted);
    }
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      const ids = new Set(panel.targets?.map((target) => target.refId));
      expect(ids.size, panel.title).toBe(panel.targets?.length);
    }
  });
});
