import fc from 'fast-check';
import { quoteIdent } from '../dialects/sqlite/sql.js';

/*
 * Generated SQLite schemas for property tests, as small specs rendered to a schema file. Every
 * object carries a stable `key`, so a mutated spec knows which columns and tables were renamed
 * (rename hints) and which survive (rows to compare). Row values are unique per row and never
 * NULL, so mutations adding UNIQUE, NOT NULL or CHECK constraints hold on existing data.
 */

export type ColumnType = 'INTEGER' | 'TEXT' | 'REAL' | 'BLOB' | 'NUMERIC' | '';

export interface ColumnSpec {
  key: number;
  name: string;
  type: ColumnType;
  notNull: boolean;
  default: string | null;
  collate: boolean;
  /** `"id" * n`, stored or virtual. */
  generated: { factor: number; stored: boolean } | null;
  /** The key of the table whose id this column references. */
  ref: number | null;
  /** Added by a mutation: existing rows hold its default (or NULL), not distinct values. */
  fresh: boolean;
}

export interface IndexSpec {
  name: string;
  columns: number[];
  unique: boolean;
  desc: boolean;
  partial: boolean;
  /** Index `lower(first column)` instead of the column. */
  expression: boolean;
}

export interface TableSpec {
  key: number;
  name: string;
  /** After the implicit `"id" INTEGER PRIMARY KEY`. */
  columns: ColumnSpec[];
  uniques: number[][];
  indexes: IndexSpec[];
  checks: { name: string | null; column: number; inline: boolean }[];
  withoutRowid: boolean;
  strict: boolean;
  autoincrement: boolean;
}

export interface SchemaSpec {
  tables: TableSpec[];
  views: { name: string; table: number; column: number }[];
  triggers: { name: string; table: number; column: number }[];
  nextKey: number;
}

export const ROWS_PER_TABLE = 4;
/** Foreign key clauses, varied by column key. */
const REF_OPTIONS = ['', ' ON DELETE CASCADE', ' ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED'];
export const TYPES: ColumnType[] = ['INTEGER', 'TEXT', 'REAL', 'BLOB', 'NUMERIC', ''];
const STRICT_TYPES = new Set<ColumnType>(['INTEGER', 'TEXT', 'REAL', 'BLOB']);

/** A default of the column's own type (STRICT tables reject others). */
export function defaultFor(type: ColumnType, variant: number): string {
  if (type === 'TEXT') return ["'d'", 'CURRENT_TIMESTAMP', "'it''s'"][variant % 3] as string;
  if (type === 'REAL') return variant % 2 === 0 ? '1.5' : '-2.5e1';
  if (type === 'BLOB') return "X'01ff'";
  return ['7', '-1', '(1 + 2)'][variant % 3] as string;
}

export const columnArb = (key: number, strict: boolean): fc.Arbitrary<ColumnSpec> =>
  fc
    .record({
      name: fc.constantFrom('a', 'b', 'Col', 'c d', 'q"x', 'order', 'v'),
      type: fc.constantFrom(...TYPES.filter((t) => !strict || STRICT_TYPES.has(t))),
      notNull: fc.boolean(),
      defaultVariant: fc.option(fc.nat(5), { nil: null }),
      collate: fc.boolean(),
      generated: fc.option(fc.record({ factor: fc.integer({ min: 1, max: 9 }), stored: fc.boolean() }), {
        freq: 6,
        nil: null,
      }),
    })
    .map((c) => ({
      key,
      name: `${c.name}${key}`,
      type: c.generated === null ? c.type : 'INTEGER',
      notNull: c.notNull,
      default: c.generated !== null || c.defaultVariant === null ? null : defaultFor(c.type, c.defaultVariant),
      collate: c.collate && c.type === 'TEXT',
      generated: c.generated,
      ref: null,
      fresh: false,
    }));

/** The CREATE statements of a spec: what a desired-state file would say. */
export function schemaSql(spec: SchemaSpec): string {
  const tableName = (key: number) => spec.tables.find((t) => t.key === key)?.name ?? `missing${key}`;
  const statements: string[] = [];
  for (const table of spec.tables) {
    const col = (key: number) => table.columns.find((c) => c.key === key);
    const colName = (key: number) => quoteIdent(col(key)?.name ?? 'id');
    const items = [`"id" INTEGER PRIMARY KEY${table.autoincrement ? ' AUTOINCREMENT' : ''}`];
    for (const c of table.columns) {
      let sql = `${quoteIdent(c.name)}${c.type === '' ? '' : ` ${c.type}`}`;
      if (c.notNull) sql += ' NOT NULL';
      if (c.default !== null) sql += ` DEFAULT ${c.default}`;
      if (c.collate) sql += ' COLLATE NOCASE';
      if (c.generated !== null)
        sql += ` AS ("id" * ${c.generated.factor}) ${c.generated.stored ? 'STORED' : 'VIRTUAL'}`;
      if (c.ref !== null) sql += ` REFERENCES ${quoteIdent(tableName(c.ref))} ("id")${REF_OPTIONS[c.key % 3]}`;
      for (const check of table.checks.filter((k) => k.inline && k.column === c.key)) {
        sql += `${check.name === null ? '' : ` CONSTRAINT ${quoteIdent(check.name)}`} CHECK (length(${quoteIdent(c.name)}) < 1000)`;
      }
      items.push(sql);
    }
    for (const u of table.uniques) items.push(`UNIQUE (${u.map(colName).join(', ')})`);
    for (const check of table.checks.filter((k) => !k.inline)) {
      const name = check.name === null ? '' : `CONSTRAINT ${quoteIdent(check.name)} `;
      items.push(`${name}CHECK (${colName(check.column)} IS NOT NULL OR "id" > 0)`);
    }
    const options = [...(table.withoutRowid ? ['WITHOUT ROWID'] : []), ...(table.strict ? ['STRICT'] : [])];
    statements.push(
      `CREATE TABLE ${quoteIdent(table.name)} (\n  ${items.join(',\n  ')}\n)${options.length > 0 ? ` ${options.join(', ')}` : ''}`,
    );
    for (const index of table.indexes) {
      const keys = index.columns.map((k, i) => {
        const key = index.expression && i === 0 ? `lower(${colName(k)})` : colName(k);
        return `${key}${index.desc ? ' DESC' : ''}`;
      });
      const where = index.partial ? ` WHERE ${colName(index.columns[0] ?? -1)} IS NOT NULL` : '';
      statements.push(
        `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.name)} ON ${quoteIdent(table.name)} (${keys.join(', ')})${where}`,
      );
    }
  }
  for (const view of spec.views) {
    const table = spec.tables.find((t) => t.key === view.table);
    const column = table?.columns.find((c) => c.key === view.column);
    statements.push(
      `CREATE VIEW ${quoteIdent(view.name)} AS SELECT "id", ${quoteIdent(column?.name ?? 'id')} FROM ${quoteIdent(table?.name ?? '?')}`,
    );
  }
  for (const trigger of spec.triggers) {
    const table = spec.tables.find((t) => t.key === trigger.table);
    const column = table?.columns.find((c) => c.key === trigger.column);
    statements.push(
      `CREATE TRIGGER ${quoteIdent(trigger.name)} AFTER UPDATE ON ${quoteIdent(table?.name ?? '?')} BEGIN SELECT new.${quoteIdent(column?.name ?? 'id')}; END`,
    );
  }
  return `${statements.join(';\n')};\n`;
}

/** A value of the column's type, distinct per row (and a valid parent id for references). */
export function valueSql(column: ColumnSpec, row: number): string {
  if (column.ref !== null) return String(row);
  switch (column.type) {
    case 'TEXT':
      return `'v${column.key}_${row}'`;
    case 'REAL':
      return `${row}.${column.key}5`;
    case 'BLOB':
      return `X'${(row * 256 + column.key).toString(16).padStart(4, '0')}'`;
    default:
      return String(row * 1000 + column.key);
  }
}

/** INSERTs filling every table with `ROWS_PER_TABLE` rows (ids 1…n). */
export function dataSql(spec: SchemaSpec): string {
  // better-sqlite3 enforces foreign keys by default; children may be filled before parents.
  const statements: string[] = ['PRAGMA foreign_keys = OFF'];
  for (const table of spec.tables) {
    const columns = table.columns.filter((c) => c.generated === null);
    const names = ['"id"', ...columns.map((c) => quoteIdent(c.name))].join(', ');
    for (let row = 1; row <= ROWS_PER_TABLE; row++) {
      const values = [String(row), ...columns.map((c) => valueSql(c, row))].join(', ');
      statements.push(`INSERT INTO ${quoteIdent(table.name)} (${names}) VALUES (${values})`);
    }
  }
  return `${statements.join(';\n')};\n`;
}
