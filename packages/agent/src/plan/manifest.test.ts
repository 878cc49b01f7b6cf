import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digest, lintFindingSchema, manifestSchema, type PlanOperation } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { type LocalPlan, planTarget } from '../local.js';
import { tempSqlite } from '../test-support/temp-sqlite.js';
import { buildManifest, wireLint } from './manifest.js';

// Names no action, rule id or risk class contains, so finding one in the output means a leak.
const NAMES = ['payroll_ledger', 'secret_salary', 'staff_member', 'idx_staff_nickname', 'nickname'];

async function realPlan(): Promise<LocalPlan> {
  const db = tempSqlite(
    'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT, secret_salary INTEGER);' +
      "INSERT INTO staff_member VALUES (1, 'a', 10);",
  );
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-manifest-'));
  const schema = join(dir, 'schema.sql');
  writeFileSync(
    schema,
    [
      'CREATE TABLE staff_member (id INTEGER PRIMARY KEY, nickname TEXT);',
      'CREATE INDEX idx_staff_nickname ON staff_member (nickname);',
      'CREATE TABLE payroll_ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);',
    ].join('\n'),
  );
  return planTarget(`sqlite:${db}`, { schema });
}

const statementsOf = (ops: readonly PlanOperation[]) => ops.flatMap((op) => [...op.up, ...(op.down ?? [])]);

describe('buildManifest', () => {
  it('digest mode carries counts and classes only: no object names, no DDL', async () => {
    const { plan, lint } = await realPlan();
    expect(lint.length).toBeGreaterThan(0);
    const manifest = buildManifest(plan, 'digest');
    const wire = wireLint(lint, 'digest');
    expect(manifestSchema.parse(manifest)).toEqual(manifest);
    for (const finding of wire) expect(lintFindingSchema.parse(finding)).toEqual(finding);

    expect(manifest).toMatchObject({ mode: 'digest', opCount: plan.ops.length, risk: 'destructive', dataLoss: true });
    expect(Object.values(manifest.actions).reduce((a, b) => a + b, 0)).toBe(plan.ops.length);
    expect(manifest.objects).toBeUndefined();
    expect(manifest.ddl).toBeUndefined();
    expect(wire.every((f) => f.object === undefined && !('message' in f))).toBe(true);
    expect(wire.map((f) => f.rule)).toEqual(lint.map((f) => f.rule));

    const text = JSON.stringify({ manifest, wire });
    for (const name of NAMES) expect(text).not.toContain(name);
    for (const statement of statementsOf(plan.ops)) expect(text).not.toContain(statement);
    expect(text).not.toMatch(/CREATE|ALTER|DROP|INSERT/);
  });

  it('structure mode adds the object refs in plan order, still no DDL', async () => {
    const { plan, lint } = await realPlan();
    const manifest = buildManifest(plan, 'structure');
    const wire = wireLint(lint, 'structure');
    expect(manifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.ddl).toBeUndefined();
    expect(manifest.objects).toEqual(
      plan.ops.map((op) => ({
        kind: op.object.kind,
        namespace: op.object.namespace,
        name: op.object.name,
        action: op.action,
      })),
    );
    expect(JSON.stringify(manifest)).toContain('payroll_ledger');
    expect(wire.some((f) => f.object !== undefined)).toBe(true);
    expect(wire.every((f) => !('message' in f))).toBe(true);

    const text = JSON.stringify({ manifest, wire });
    for (const statement of statementsOf(plan.ops)) expect(text).not.toContain(statement);
    expect(text).not.toMatch(/CREATE|ALTER|DROP|INSERT/);
  });

  it('full mode adds every up statement in order', async () => {
    const { plan } = await realPlan();
    const manifest = buildManifest(plan, 'full');
    expect(manifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.ddl).toEqual(plan.ops.flatMap((op) => op.up));
    expect(manifest.ddl?.join('\n')).toContain('payroll_ledger');
  });

  it('is deterministic: the same plan gives the same manifest digest', async () => {
    const { plan } = await realPlan();
    const again = structuredClone(plan);
    for (const mode of ['digest', 'structure', 'full'] as const) {
      expect(digest('manifest', buildManifest(again, mode))).toBe(digest('manifest', buildManifest(plan, mode)));
    }
  });

  it('summarises an empty plan as safe', () => {
    expect(buildManifest({ ops: [] }, 'structure')).toEqual({
      mode: 'structure',
      opCount: 0,
      actions: {},
      risk: 'safe',
      dataLoss: false,
      nonTransactional: false,
      objects: [],
    });
  });

  it('flags a non-transactional operation and takes the worst risk', () => {
    const op = (risk: PlanOperation['risk'], transactional: boolean): PlanOperation => ({
      action: 'create-index',
      object: { kind: 'index', namespace: 'public', name: 'i' },
      up: ['CREATE INDEX CONCURRENTLY i ON t (a)'],
      down: ['DROP INDEX i'],
      irreversibleReason: null,
      risk,
      lock: 'none',
      dataLoss: false,
      transactional,
    });
    const manifest = buildManifest({ ops: [op('safe', true), op('caution', false)] }, 'digest');
    expect(manifest).toMatchObject({ risk: 'caution', nonTransactional: true, actions: { 'create-index': 2 } });
  });
});
