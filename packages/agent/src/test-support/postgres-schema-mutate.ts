import fc from 'fast-check';
import type { RenameHint } from '../diff/changes.js';
import {
  addConstraint,
  DISTINCT_TYPES,
  type PgColumnSpec,
  type PgSchemaSpec,
  type PgTableSpec,
  type PgType,
  pgDefaultFor,
  pgTableArb,
  pick,
} from './postgres-schema-gen.js';

/*
 * Arbitrary PostgreSQL starting schemas and random mutations of them (the PostgreSQL
 * counterpart of schema-mutate.ts). A mutation is a kind and a few numbers applied
 * deterministically, so fast-check shrinks well and every mutated spec is a valid schema whose
 * constraints hold on the starting rows.
 */

export const pgSchemaArb: fc.Arbitrary<PgSchemaSpec> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) =>
    fc.record({
      tables: fc.tuple(...Array.from({ length: n }, (_, key) => pgTableArb(key, n))),
      views: fc.array(fc.nat(), { maxLength: 2 }),
    }),
  )
  .map(({ tables, views }) => {
    const spec: PgSchemaSpec = { tables, mood: { values: ['sad', 'ok', 'happy'], used: 3 }, views: [], nextKey: 100 };
    for (const v of views) mutate(spec, { kind: 'add-view', a: v, b: v >> 3, c: 0 });
    return spec;
  });

export const PG_MUTATIONS = [
  'add-column',
  'drop-column',
  'rename-column',
  'change-type',
  'toggle-not-null',
  'set-default',
  'add-constraint',
  'drop-constraint',
  'drop-reference',
  'rename-table',
  'drop-table',
  'create-table',
  'add-enum-value',
  'reorder-enum',
  'add-view',
  'drop-view',
  'set-comment',
] as const;

export interface PgMutation {
  kind: (typeof PG_MUTATIONS)[number];
  a: number;
  b: number;
  c: number;
}

export const pgMutationsArb: fc.Arbitrary<PgMutation[]> = fc.array(
  fc.record({ kind: fc.constantFrom(...PG_MUTATIONS), a: fc.nat(), b: fc.nat(), c: fc.nat() }),
  { minLength: 1, maxLength: 6 },
);

export function pgMutated(spec: PgSchemaSpec, mutations: PgMutation[]): PgSchemaSpec {
  const copy = structuredClone(spec);
  for (const m of mutations) mutate(copy, m);
  return copy;
}

/** Conversions every generated value survives (and that keep distinct values distinct). */
const WIDER: Partial<Record<PgType, PgType[]>> = {
  integer: ['bigint', 'numeric', 'text'],
  bigint: ['numeric', 'text'],
  numeric: ['text'],
  boolean: ['text'],
  'timestamp with time zone': ['text'],
  mood: ['text'],
};

function mutate(spec: PgSchemaSpec, m: PgMutation): void {
  const table = pick(spec.tables, m.a);
  if (table === undefined) return;
  const column = pick(table.columns, m.b);
  const key = spec.nextKey++;
  switch (m.kind) {
    case 'add-column': {
      const type = (['integer', 'text', 'boolean', 'mood', 'numeric'] as const)[m.c % 5] ?? 'text';
      const variant = (m.c >> 3) % 4;
      table.columns.push({
        key,
        name: `n${key}`,
        type: variant === 3 ? 'integer' : type,
        notNull: variant === 1,
        default: variant === 1 || variant === 2 ? pgDefaultFor(type, m.c) : null,
        ref: variant === 3 ? (pick(spec.tables, m.c)?.key ?? null) : null,
        fresh: true,
      });
      return;
    }
    case 'drop-column':
      if (column !== undefined) dropColumn(spec, table, column.key);
      return;
    case 'rename-column':
      if (column !== undefined) column.name = column.name.startsWith('rn') ? `rm${column.key}` : `rn${column.key}`;
      return;
    case 'change-type': {
      const wider = column === undefined || column.ref !== null ? undefined : WIDER[column.type];
      if (column === undefined || wider === undefined) return;
      if (!DISTINCT_TYPES.has(column.type)) column.repeats = true;
      column.type = wider[m.c % wider.length] ?? 'text';
      if (column.default !== null) column.default = pgDefaultFor(column.type, m.c);
      return;
    }
    case 'toggle-not-null':
      if (column === undefined) return;
      column.notNull = !column.notNull;
      // A new column holds NULL in existing rows: a default fills them (the planner backfills).
      if (column.notNull && column.fresh && column.default === null) {
        if (column.ref !== null) column.notNull = false;
        else column.default = pgDefaultFor(column.type, m.c);
      }
      return;
    case 'set-default':
      if (column === undefined || column.ref !== null) return;
      column.default = m.c % 3 === 0 && !(column.fresh && column.notNull) ? null : pgDefaultFor(column.type, m.c);
      return;
    case 'add-constraint':
      addConstraint(table, m.c % 3, m.b, m.c >> 2, String(key));
      return;
    case 'drop-constraint': {
      const list = [table.uniques, table.indexes, table.checks][m.c % 3] as unknown[];
      list.splice(m.b % Math.max(list.length, 1), 1);
      return;
    }
    case 'drop-reference':
      if (column !== undefined) column.ref = null;
      return;
    case 'rename-table':
      table.name = table.name.startsWith('rt') ? `ru${table.key}` : `rt${table.key}`;
      return;
    case 'drop-table':
      if (spec.tables.length < 2) return;
      spec.tables = spec.tables.filter((t) => t !== table);
      for (const other of spec.tables) for (const c of other.columns) if (c.ref === table.key) c.ref = null;
      spec.views = spec.views.filter((v) => v.table !== table.key);
      return;
    case 'create-table':
      spec.tables.push({
        key,
        name: `nt${key}`,
        columns: [
          {
            key: key + 1000,
            name: `n${key + 1000}`,
            type: 'text',
            notNull: m.c % 2 === 0,
            default: "'x'",
            ref: null,
            fresh: true,
          },
          {
            key: key + 2000,
            name: `n${key + 2000}`,
            type: 'integer',
            notNull: false,
            default: null,
            ref: table.key,
            fresh: true,
          },
        ],
        indexes: [{ name: `ix${key}`, columns: [key + 2000], unique: false, partial: false }],
        uniques: [],
        checks: [],
        comment: m.c % 3 === 0 ? 'new' : null,
      });
      return;
    case 'add-enum-value':
      spec.mood.values.splice(m.c % (spec.mood.values.length + 1), 0, `m${key}`);
      return;
    case 'reorder-enum':
      spec.mood.values.reverse();
      return;
    case 'add-view':
      if (column !== undefined) spec.views.push({ name: `v${key}`, table: table.key, column: column.key });
      return;
    case 'drop-view':
      spec.views.splice(m.a % Math.max(spec.views.length, 1), 1);
      return;
    case 'set-comment':
      table.comment = table.comment === null ? `about ${table.key}` : null;
      return;
    default: {
      const never: never = m.kind;
      throw new Error(`unknown mutation ${String(never)}`);
    }
  }
}

function dropColumn(spec: PgSchemaSpec, table: PgTableSpec, key: number): void {
  table.columns = table.columns.filter((c: PgColumnSpec) => c.key !== key);
  table.uniques = table.uniques.filter((u) => !u.includes(key));
  table.indexes = table.indexes.filter((i) => !i.columns.includes(key));
  table.checks = table.checks.filter((c) => c.column !== key);
  spec.views = spec.views.filter((v) => v.column !== key);
}

/** Rename hints for the tables and columns whose key stayed and name changed. */
export function pgRenameHints(from: PgSchemaSpec, to: PgSchemaSpec): RenameHint[] {
  const hints: RenameHint[] = [];
  for (const now of to.tables) {
    const old = from.tables.find((t) => t.key === now.key);
    if (old === undefined) continue;
    if (old.name !== now.name) hints.push({ kind: 'table', from: old.name, to: now.name });
    for (const c of now.columns) {
      const was = old.columns.find((o) => o.key === c.key);
      if (was !== undefined && was.name !== c.name)
        hints.push({ kind: 'column', table: now.name, from: was.name, to: c.name });
    }
  }
  return hints;
}
