import type { PlanOperation, SchemaModel } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { diffSchemas } from '../diff/diff.js';
import { col, index, model, table } from '../test-support/model.js';
import { describeRules, type LintConfig, type LintSuppression, lintChange } from './lint.js';

function op(action: string, name: string, extra: Partial<PlanOperation> = {}): PlanOperation {
  return {
    action,
    object: { kind: 'table', namespace: 'public', name },
    up: ['SELECT 1'],
    down: ['SELECT 1'],
    irreversibleReason: null,
    risk: 'safe',
    lock: 'exclusive',
    dataLoss: false,
    transactional: true,
    ...extra,
  };
}

function lint(
  from: SchemaModel,
  to: SchemaModel,
  extra: {
    ops?: PlanOperation[];
    rows?: Record<string, number>;
    config?: LintConfig;
    ignore?: LintSuppression[];
    renames?: Parameters<typeof diffSchemas>[2];
  } = {},
) {
  return lintChange(
    {
      dialect: to.dialect,
      from,
      to,
      changes: diffSchemas(from, to, extra.renames).changes,
      ops: extra.ops ?? [],
      rowCounts: new Map(Object.entries(extra.rows ?? {})),
    },
    extra.config,
    extra.ignore,
  );
}

const codes = (findings: { rule: string }[]) => findings.map((f) => f.rule).sort();
const pk = { name: 't_pkey', columns: ['id'] };
const base = table('t', [col('id', 'integer', { nullable: false }), col('name', 'text')], { primaryKey: pk });

describe('lint', () => {
  it('has at least 20 rules with stable, unique codes and one-line docs', () => {
    const rules = describeRules();
    expect(rules.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rules.map((r) => r.code)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.code).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
      expect(r.summary).toMatch(/^[A-Z].*\.$/);
      expect(r.summary).not.toContain('\n');
    }
  });

  it('flags destructive changes', () => {
    const from = model([base, table('gone', [col('x')], { primaryKey: { name: 'g', columns: ['x'] } })]);
    const to = model([table('t', [col('id', 'integer', { nullable: false })], { primaryKey: pk })]);
    expect(codes(lint(from, to))).toEqual(['destructive/drop-column', 'destructive/drop-table']);
  });

  it('flags locking hazards on PostgreSQL, weighted by live row counts', () => {
    const from = model([base]);
    const to = model([
      table(
        't',
        [
          col('id', 'bigint', { nullable: false }),
          col('name', 'text', { nullable: false }),
          col('created', 'timestamptz', { default: 'now()' }),
        ],
        {
          primaryKey: pk,
          indexes: [index('t_name', ['name'])],
          checks: [{ name: 't_name_check', expression: "name <> ''" }],
        },
      ),
    ]);
    const ops = [op('create-index', 't.t_name'), op('alter-column-type', 't.id')];
    const found = lint(from, to, { ops, rows: { 'public.t': 5_000_000 } });
    expect(codes(found)).toEqual([
      'data/set-not-null',
      'incompatible/column-type-change',
      'locking/constraint-without-not-valid',
      'locking/large-table-rewrite',
      'locking/non-concurrent-index',
      'locking/set-not-null-scan',
      'locking/type-change-rewrite',
      'locking/volatile-default',
    ]);
    expect(found.find((f) => f.rule === 'locking/type-change-rewrite')?.message).toContain('about 5,000,000 rows');
  });

  it('flags data-dependent changes, unless the table is known to be empty', () => {
    const from = model([base]);
    const to = model([
      table('t', [...base.columns, col('code', 'text', { nullable: false })], {
        primaryKey: pk,
        uniques: [{ name: 't_name_key', columns: ['name'], nullsNotDistinct: false }],
      }),
    ]);
    expect(codes(lint(from, to))).toEqual(['data/new-uniqueness', 'data/not-null-without-default']);
    expect(codes(lint(from, to, { rows: { 'public.t': 0 } }))).toEqual([]);
  });

  it('flags renames and dropped views and foreign keys as incompatible', () => {
    const view = {
      name: 'v',
      materialized: false,
      columns: ['id'],
      definition: 'SELECT 1',
      definitionDigest: `sha256:${'0'.repeat(64)}`,
      comment: null,
    };
    const fk = {
      name: 'fk',
      columns: ['id'],
      refSchema: null,
      refTable: 'p',
      refColumns: ['id'],
      onDelete: 'no-action' as const,
      onUpdate: 'no-action' as const,
      match: 'simple' as const,
      deferrable: false,
      initiallyDeferred: false,
    };
    const from = model([table('t', base.columns, { primaryKey: pk, foreignKeys: [fk] })], { views: [view] });
    const to = model([table('u', [base.columns[0] as never, col('title', 'text')], { primaryKey: pk })]);
    const found = lint(from, to, {
      renames: {
        renames: [
          { kind: 'table', from: 't', to: 'u' },
          { kind: 'column', table: 'u', from: 'name', to: 'title' },
        ],
      },
    });
    expect(codes(found)).toEqual([
      'destructive/drop-foreign-key',
      'incompatible/drop-view',
      'incompatible/rename-column',
      'incompatible/rename-table',
    ]);
  });

  it('flags SQLite rebuilds and non-constant defaults only on SQLite', () => {
    const from = model([table('t', [col('id')], { primaryKey: { name: null, columns: ['id'] } })], {}, 'sqlite');
    const to = model(
      [
        table('t', [col('id'), col('at', 'TEXT', { default: 'CURRENT_TIMESTAMP' })], {
          primaryKey: { name: null, columns: ['id'] },
        }),
      ],
      {},
      'sqlite',
    );
    expect(codes(lint(from, to, { ops: [op('rebuild-table', 't')] }))).toEqual([
      'sqlite/non-constant-default',
      'sqlite/rebuild-needed',
    ]);
  });

  it('flags new tables without a primary key and unindexed foreign keys', () => {
    const fk = {
      name: 'c_p_fkey',
      columns: ['p_id'],
      refSchema: null,
      refTable: 't',
      refColumns: ['id'],
      onDelete: 'cascade' as const,
      onUpdate: 'no-action' as const,
      match: 'simple' as const,
      deferrable: false,
      initiallyDeferred: false,
    };
    const to = model([base, table('c', [col('p_id')], { foreignKeys: [fk] })]);
    expect(codes(lint(model([base]), to))).toEqual(['hygiene/no-primary-key', 'hygiene/unindexed-foreign-key']);
    const indexed = model([
      base,
      table('c', [col('p_id')], {
        foreignKeys: [fk],
        indexes: [index('c_p', ['p_id'])],
        primaryKey: { name: 'c_pkey', columns: ['p_id'] },
      }),
    ]);
    expect(codes(lint(model([base]), indexed))).toEqual([]);
  });

  it('honours per-project severities, rules switched off, and inline suppressions', () => {
    const from = model([base, table('gone', [col('x')])]);
    const to = model([table('t', [col('id', 'integer', { nullable: false })], { primaryKey: pk })]);
    const found = lint(from, to, {
      config: { rules: { 'destructive/drop-table': 'warning', 'destructive/drop-column': 'off' } },
    });
    expect(found.map((f) => [f.rule, f.severity])).toEqual([['destructive/drop-table', 'warning']]);
    expect(
      lint(from, to, {
        ignore: [{ code: 'destructive/drop-column', object: 't.name' }, { code: 'destructive/drop-table' }],
      }),
    ).toEqual([]);
    expect(() => lint(from, to, { ignore: [{ code: 'destructive/drop-tabel' }] })).toThrow(
      expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }),
    );
  });
});
