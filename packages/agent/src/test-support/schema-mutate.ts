import fc from 'fast-check';
import type { RenameHint } from '../diff/changes.js';
import { type ColumnSpec, columnArb, defaultFor, type SchemaSpec, type TableSpec, TYPES } from './schema-gen.js';

/*
 * Arbitrary starting schemas and random mutations of them. A mutation is drawn as a kind and
 * a few numbers and applied deterministically (picks are taken modulo list lengths), so
 * fast-check shrinks them well and every mutated spec is still a valid schema whose
 * constraints hold on the starting rows.
 */

const tableArb = (key: number, tables: number): fc.Arbitrary<TableSpec> =>
  fc
    .record({ strict: fc.boolean(), withoutRowid: fc.boolean(), autoincrement: fc.boolean(), count: fc.nat(4) })
    .chain((base) =>
      fc.record({
        base: fc.constant(base),
        prefix: fc.constantFrom('t', 'Item', 'odd "t"', 'x y'),
        columns: fc.tuple(...Array.from({ length: base.count }, (_, j) => columnArb(10 + key * 10 + j, base.strict))),
        refs: fc.array(fc.nat(tables - 1), { minLength: base.count, maxLength: base.count }),
        refMask: fc.array(fc.boolean(), { minLength: base.count, maxLength: base.count }),
        picks: fc.array(fc.record({ kind: fc.nat(2), a: fc.nat(), b: fc.nat(), flags: fc.nat(15) }), { maxLength: 4 }),
      }),
    )
    .map(({ base, prefix, columns, refs, refMask, picks }) => {
      const cols = columns.map((c, j) =>
        refMask[j] && c.generated === null && c.default === null
          ? { ...c, type: 'INTEGER' as const, ref: refs[j] ?? 0 }
          : c,
      );
      const table: TableSpec = {
        key,
        name: `${prefix}${key}`,
        columns: cols,
        uniques: [],
        indexes: [],
        checks: [],
        withoutRowid: base.withoutRowid,
        strict: base.strict,
        autoincrement: base.autoincrement && !base.withoutRowid,
      };
      for (const [n, pick] of picks.entries())
        addConstraint(table, pick.kind, pick.a, pick.b, pick.flags, `${key}_${n}`);
      return table;
    });

/** A unique constraint, an index or a check on picked columns (kind 0, 1, 2). */
function addConstraint(table: TableSpec, kind: number, a: number, b: number, flags: number, id: string): void {
  const usable = table.columns.filter((c) => !c.fresh && c.generated === null);
  const first = usable[a % Math.max(usable.length, 1)];
  if (first === undefined) return;
  const second = usable[b % usable.length];
  const columns = flags & 1 && second !== undefined && second !== first ? [first.key, second.key] : [first.key];
  if (kind === 0 && !table.uniques.some((u) => u.join() === columns.join())) table.uniques.push(columns);
  if (kind === 1) {
    table.indexes.push({
      name: `ix${id}`,
      columns,
      unique: (flags & 2) !== 0,
      desc: (flags & 4) !== 0,
      partial: (flags & 8) !== 0,
      expression: first.type === 'TEXT' && (flags & 2) === 0,
    });
  }
  const inline = (flags & 2) !== 0;
  const name = flags & 4 ? `ck${id}` : null;
  const duplicate = table.checks.some((c) => c.column === first.key && c.inline === inline && c.name === null);
  if (kind === 2 && !(name === null && duplicate)) table.checks.push({ name, column: first.key, inline });
}

export const schemaArb: fc.Arbitrary<SchemaSpec> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) =>
    fc.record({
      tables: fc.tuple(...Array.from({ length: n }, (_, key) => tableArb(key, n))),
      viewPicks: fc.array(fc.nat(), { maxLength: 2 }),
      triggerPicks: fc.array(fc.nat(), { maxLength: 2 }),
    }),
  )
  .map(({ tables, viewPicks, triggerPicks }) => {
    const spec: SchemaSpec = { tables, views: [], triggers: [], nextKey: 100 };
    for (const pick of viewPicks) mutate(spec, { kind: 'add-view', a: pick, b: pick >> 3, c: 0 });
    for (const pick of triggerPicks) mutate(spec, { kind: 'add-trigger', a: pick, b: pick >> 3, c: 0 });
    return spec;
  });

export const MUTATIONS = [
  'add-column',
  'drop-column',
  'rename-column',
  'change-type',
  'toggle-not-null',
  'set-default',
  'add-constraint',
  'drop-constraint',
  'rename-table',
  'drop-table',
  'create-table',
  'toggle-without-rowid',
  'reorder-columns',
  'add-view',
  'drop-view',
  'add-trigger',
  'drop-trigger',
] as const;

export interface Mutation {
  kind: (typeof MUTATIONS)[number];
  a: number;
  b: number;
  c: number;
}

export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.record({ kind: fc.constantFrom(...MUTATIONS), a: fc.nat(), b: fc.nat(), c: fc.nat() }),
  { minLength: 1, maxLength: 4 },
);

/** The spec after the mutations (the input is not changed). */
export function mutated(spec: SchemaSpec, mutations: Mutation[]): SchemaSpec {
  const copy = structuredClone(spec);
  for (const m of mutations) mutate(copy, m);
  return copy;
}

const pick = <T>(items: T[], n: number): T | undefined => items[n % Math.max(items.length, 1)];

function mutate(spec: SchemaSpec, m: Mutation): void {
  const table = pick(spec.tables, m.a);
  if (table === undefined) return;
  const column = pick(table.columns, m.b);
  const key = spec.nextKey++;
  switch (m.kind) {
    case 'add-column': {
      const type = table.strict ? (['INTEGER', 'TEXT', 'REAL', 'BLOB'] as const)[m.c % 4] : TYPES[m.c % TYPES.length];
      const variant = (m.c >> 3) % 5;
      const added: ColumnSpec = {
        key,
        name: `n${key}`,
        type: variant >= 3 ? 'INTEGER' : (type ?? 'TEXT'),
        notNull: variant === 1,
        default: variant === 1 || variant === 2 ? defaultFor(type ?? 'TEXT', m.c) : null,
        collate: false,
        generated: variant === 4 ? { factor: 3, stored: m.c % 2 === 0 } : null,
        ref: variant === 3 ? ((pick(spec.tables, m.c) as TableSpec).key ?? null) : null,
        fresh: true,
      };
      table.columns.splice(m.b % 3 === 0 ? m.b % (table.columns.length + 1) : table.columns.length, 0, added);
      return;
    }
    case 'drop-column':
      if (column !== undefined) dropColumn(spec, table, column.key);
      return;
    case 'rename-column':
      if (column !== undefined) column.name = column.name.startsWith('rn') ? `rm${column.key}` : `rn${column.key}`;
      return;
    case 'change-type':
      if (column === undefined || table.strict || column.generated !== null || column.ref !== null) return;
      column.type = TYPES.filter((t) => t !== column.type)[m.c % (TYPES.length - 1)] ?? 'TEXT';
      column.collate = column.collate && column.type === 'TEXT';
      if (column.default !== null) column.default = defaultFor(column.type, m.c);
      return;
    case 'toggle-not-null':
      if (column === undefined || column.ref !== null) return;
      column.notNull = !column.notNull;
      // A new column holds NULL in existing rows unless it has a default.
      if (column.notNull && column.fresh && column.default === null && column.generated === null) {
        column.default = defaultFor(column.type, m.c);
      }
      return;
    case 'set-default':
      if (column === undefined || column.generated !== null || column.ref !== null) return;
      column.default = m.c % 3 === 0 && !(column.fresh && column.notNull) ? null : defaultFor(column.type, m.c);
      return;
    case 'add-constraint':
      addConstraint(table, m.c % 3, m.b, m.b >> 4, m.c >> 2, String(key));
      return;
    case 'drop-constraint': {
      const lists = [table.uniques, table.indexes, table.checks] as unknown[][];
      const list = lists[m.c % 3] as unknown[];
      list.splice(m.b % Math.max(list.length, 1), 1);
      return;
    }
    case 'rename-table':
      table.name = table.name.startsWith('rt') ? `ru${table.key}` : `rt${table.key}`;
      return;
    case 'drop-table':
      dropTable(spec, table);
      return;
    case 'create-table': {
      const parent = pick(spec.tables, m.c)?.key ?? null;
      spec.tables.push({
        ...emptyTable(key, `nt${key}`),
        columns: [
          { ...defaultColumn(key + 1000, 'TEXT'), notNull: m.c % 2 === 0, default: "'x'" },
          { ...defaultColumn(key + 2000, 'INTEGER'), ref: parent },
        ],
      });
      return;
    }
    case 'toggle-without-rowid':
      if (!table.autoincrement) table.withoutRowid = !table.withoutRowid;
      return;
    case 'reorder-columns': {
      const [x] = table.columns.splice(m.b % Math.max(table.columns.length, 1), 1);
      if (x !== undefined) table.columns.splice(m.c % (table.columns.length + 1), 0, x);
      return;
    }
    case 'add-view':
    case 'add-trigger': {
      const target = column ?? undefined;
      if (target === undefined) return;
      const list = m.kind === 'add-view' ? spec.views : spec.triggers;
      list.push({ name: `${m.kind === 'add-view' ? 'v' : 'tr'}${key}`, table: table.key, column: target.key });
      return;
    }
    case 'drop-view':
      spec.views.splice(m.a % Math.max(spec.views.length, 1), 1);
      return;
    case 'drop-trigger':
      spec.triggers.splice(m.a % Math.max(spec.triggers.length, 1), 1);
      return;
    default: {
      const never: never = m.kind;
      throw new Error(`unknown mutation ${String(never)}`);
    }
  }
}

function dropColumn(spec: SchemaSpec, table: TableSpec, key: number): void {
  table.columns = table.columns.filter((c) => c.key !== key);
  table.uniques = table.uniques.filter((u) => !u.includes(key));
  table.indexes = table.indexes.filter((i) => !i.columns.includes(key));
  table.checks = table.checks.filter((c) => c.column !== key);
  spec.views = spec.views.filter((v) => v.column !== key);
  spec.triggers = spec.triggers.filter((t) => t.column !== key);
}

function dropTable(spec: SchemaSpec, table: TableSpec): void {
  if (spec.tables.length < 2) return;
  spec.tables = spec.tables.filter((t) => t !== table);
  for (const other of spec.tables) for (const c of other.columns) if (c.ref === table.key) c.ref = null;
  spec.views = spec.views.filter((v) => v.table !== table.key);
  spec.triggers = spec.triggers.filter((t) => t.table !== table.key);
}

function emptyTable(key: number, name: string): TableSpec {
  return {
    key,
    name,
    columns: [],
    uniques: [],
    indexes: [],
    checks: [],
    withoutRowid: false,
    strict: false,
    autoincrement: false,
  };
}

function defaultColumn(key: number, type: ColumnSpec['type']): ColumnSpec {
  return {
    key,
    name: `n${key}`,
    type,
    notNull: false,
    default: null,
    collate: false,
    generated: null,
    ref: null,
    fresh: true,
  };
}

/** Rename hints for the tables and columns whose key stayed and name changed. */
export function renameHints(from: SchemaSpec, to: SchemaSpec): RenameHint[] {
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
