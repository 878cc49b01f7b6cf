import fc from 'fast-check';
import { quoteIdent } from '../dialects/postgres/pg-sql.js';

/*
 * Generated PostgreSQL schemas for property tests, as small specs rendered to a schema file.
 * Every object carries a stable `key`, so a mutated spec knows which tables and columns were
 * renamed (rename hints) and which survive (rows to compare). Row values are distinct per row
 * and never NULL, so mutations adding UNIQUE, NOT NULL or CHECK constraints hold on the rows.
 */

export type PgType = 'integer' | 'bigint' | 'text' | 'numeric' | 'boolean' | 'timestamp with time zone' | 'mood';
export const PG_TYPES: PgType[] = [
  'integer',
  'bigint',
  'text',
  'numeric',
  'boolean',
  'timestamp with time zone',
  'mood',
];
/** Types whose generated values are distinct per row, so they may carry a uniqueness. */
export const DISTINCT_TYPES = new Set<PgType>(['integer', 'bigint', 'text', 'numeric', 'timestamp with time zone']);

export interface PgColumnSpec {
  key: number;
  name: string;
  type: PgType;
  notNull: boolean;
  default: string | null;
  /** The key of the table whose id this column references. */
  ref: number | null;
  /** Added by a mutation: existing rows hold its default (or NULL), not distinct values. */
  fresh: boolean;
  /**
   * Set when the column's type was widened from one whose rows repeat (an enum, boolean): its
   * rows still repeat, whatever its type now, so it may not carry a uniqueness.
   */
  repeats?: true;
}

export interface PgTableSpec {
  key: number;
  name: string;
  /** After the implicit `"id" integer PRIMARY KEY`. */
  columns: PgColumnSpec[];
  indexes: { name: string; columns: number[]; unique: boolean; partial: boolean }[];
  uniques: number[][];
  checks: { name: string; column: number }[];
  comment: string | null;
}

export interface PgSchemaSpec {
  tables: PgTableSpec[];
  /** Values of enum `public.mood`; the first `used` are held by rows. */
  mood: { values: string[]; used: number };
  views: { name: string; table: number; column: number }[];
  nextKey: number;
}

export const PG_ROWS = 4;

export function pgDefaultFor(type: PgType, variant: number): string {
  switch (type) {
    case 'integer':
      return ['7', '-1', '(1 + 2)'][variant % 3] as string;
    case 'bigint':
      return '9000000000';
    case 'text':
      return ["'d'", "'it''s'"][variant % 2] as string;
    case 'numeric':
      return '1.5';
    case 'boolean':
      return variant % 2 === 0 ? 'true' : 'false';
    case 'timestamp with time zone':
      return variant % 2 === 0 ? 'now()' : "'2020-01-01 00:00:00+00'";
    case 'mood':
      return "'ok'";
    default: {
      const never: never = type;
      return never;
    }
  }
}

export const pgColumnArb = (key: number): fc.Arbitrary<PgColumnSpec> =>
  fc
    .record({
      name: fc.constantFrom('a', 'Col', 'c d', 'q"x', 'order', 'v'),
      type: fc.constantFrom(...PG_TYPES),
      notNull: fc.boolean(),
      defaultVariant: fc.option(fc.nat(5), { nil: null }),
    })
    .map((c) => ({
      key,
      name: `${c.name}${key}`,
      type: c.type,
      notNull: c.notNull,
      default: c.defaultVariant === null ? null : pgDefaultFor(c.type, c.defaultVariant),
      ref: null,
      fresh: false,
    }));

const renderType = (type: PgType) => (type === 'mood' ? 'public.mood' : type);

/** The CREATE statements of a spec: what a desired-state file would say. */
export function pgSchemaSql(spec: PgSchemaSpec): string {
  const tableName = (key: number) => spec.tables.find((t) => t.key === key)?.name ?? `missing${key}`;
  const statements = [`CREATE TYPE public.mood AS ENUM (${spec.mood.values.map((v) => `'${v}'`).join(', ')})`];
  for (const table of spec.tables) {
    const q = `public.${quoteIdent(table.name)}`;
    const col = (key: number) => quoteIdent(table.columns.find((c) => c.key === key)?.name ?? 'id');
    const items = ['"id" integer PRIMARY KEY'];
    for (const c of table.columns) {
      let sql = `${quoteIdent(c.name)} ${renderType(c.type)}`;
      if (c.default !== null) sql += ` DEFAULT ${c.default}`;
      if (c.notNull) sql += ' NOT NULL';
      items.push(sql);
    }
    for (const u of table.uniques) items.push(`UNIQUE (${u.map(col).join(', ')})`);
    for (const check of table.checks)
      items.push(`CONSTRAINT ${quoteIdent(check.name)} CHECK (${col(check.column)} IS NOT NULL OR "id" > 0)`);
    statements.push(`CREATE TABLE ${q} (\n  ${items.join(',\n  ')}\n)`);
    for (const index of table.indexes) {
      const where = index.partial ? ` WHERE ${col(index.columns[0] ?? -1)} IS NOT NULL` : '';
      statements.push(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.name)} ON ${q} (${index.columns.map(col).join(', ')})${where}`,
      );
    }
    if (table.comment !== null) statements.push(`COMMENT ON TABLE ${q} IS '${table.comment}'`);
  }
  // References once every table exists, as pg_dump writes them: tables may reference later ones.
  for (const table of spec.tables) {
    for (const c of table.columns) {
      if (c.ref === null) continue;
      statements.push(
        `ALTER TABLE public.${quoteIdent(table.name)} ADD FOREIGN KEY (${quoteIdent(c.name)}) REFERENCES public.${quoteIdent(tableName(c.ref))} ("id")`,
      );
    }
  }
  for (const view of spec.views) {
    const table = spec.tables.find((t) => t.key === view.table);
    const column = table?.columns.find((c) => c.key === view.column);
    statements.push(
      `CREATE VIEW public.${quoteIdent(view.name)} AS SELECT "id", ${quoteIdent(column?.name ?? 'id')} FROM public.${quoteIdent(table?.name ?? '?')}`,
    );
  }
  return `${statements.join(';\n')};\n`;
}

/** A value of the column's type, distinct per row (and a valid parent id for references). */
export function pgValueSql(spec: PgSchemaSpec, column: PgColumnSpec, row: number): string {
  if (column.ref !== null) return String(row);
  switch (column.type) {
    case 'integer':
      return String(row * 1000 + column.key);
    case 'bigint':
      return String(row * 10_000_000_000 + column.key);
    case 'text':
      return `'v${column.key}_${row}'`;
    case 'numeric':
      return `${row}.${column.key}5`;
    case 'boolean':
      return row % 2 === 0 ? 'true' : 'false';
    case 'timestamp with time zone':
      return `'2024-01-0${row} 00:00:${String(column.key % 60).padStart(2, '0')}+00'`;
    case 'mood':
      return `'${spec.mood.values[row % spec.mood.used] ?? 'ok'}'`;
    default: {
      const never: never = column.type;
      return never;
    }
  }
}

/** INSERTs filling every table with `PG_ROWS` rows (ids 1…n), references off. */
export function pgDataSql(spec: PgSchemaSpec): string {
  const statements = ['SET session_replication_role = replica'];
  for (const table of spec.tables) {
    const names = ['"id"', ...table.columns.map((c) => quoteIdent(c.name))].join(', ');
    for (let row = 1; row <= PG_ROWS; row++) {
      const values = [String(row), ...table.columns.map((c) => pgValueSql(spec, c, row))].join(', ');
      statements.push(`INSERT INTO public.${quoteIdent(table.name)} (${names}) VALUES (${values})`);
    }
  }
  return `${statements.join(';\n')};\n`;
}

/** The item at `n` modulo the length: mutations pick by number, so fast-check shrinks them well. */
export const pick = <T>(items: T[], n: number): T | undefined => items[n % Math.max(items.length, 1)];

export const pgTableArb = (key: number, tables: number): fc.Arbitrary<PgTableSpec> =>
  fc.nat(3).chain((count) =>
    fc
      .record({
        prefix: fc.constantFrom('t', 'Item', 'odd "t"'),
        columns: fc.tuple(...Array.from({ length: count }, (_, j) => pgColumnArb(10 + key * 10 + j))),
        refs: fc.array(fc.option(fc.nat(tables - 1), { nil: null }), { minLength: count, maxLength: count }),
        picks: fc.array(fc.record({ kind: fc.nat(2), a: fc.nat(), flags: fc.nat(7) }), { maxLength: 3 }),
      })
      .map(({ prefix, columns, refs, picks }) => {
        const cols = columns.map((c, j) => {
          const ref = refs[j] ?? null;
          return ref === null ? c : { ...c, type: 'integer' as const, default: null, ref };
        });
        const table: PgTableSpec = {
          key,
          name: `${prefix}${key}`,
          columns: cols,
          indexes: [],
          uniques: [],
          checks: [],
          comment: null,
        };
        for (const [n, p] of picks.entries()) addConstraint(table, p.kind, p.a, p.flags, `${key}_${n}`);
        return table;
      }),
  );

/** A unique constraint, an index or a check on a picked column (kind 0, 1, 2). */
export function addConstraint(table: PgTableSpec, kind: number, a: number, flags: number, id: string): void {
  const usable = table.columns.filter((c) => !c.fresh);
  const column = pick(usable, a);
  if (column === undefined) return;
  const distinct = DISTINCT_TYPES.has(column.type) && column.ref === null && column.repeats !== true;
  if (kind === 0 && distinct && !table.uniques.some((u) => u.join() === String(column.key)))
    table.uniques.push([column.key]);
  if (kind === 1) {
    table.indexes.push({
      name: `ix${id}`,
      columns: [column.key],
      unique: distinct && (flags & 1) !== 0,
      partial: (flags & 2) !== 0,
    });
  }
  if (kind === 2) table.checks.push({ name: `ck${id}`, column: column.key });
}
