import type { Column, Table } from '@isotyp/protocol';
import { hasRowidAlias, renderCreateIndex, renderCreateTable } from './render.js';
import { defaultValueExpression, quoteIdent, quoteString } from './sql.js';

/*
 * The table rebuild from https://www.sqlite.org/lang_altertable.html §7 ("Making Other Kinds
 * Of Table Schema Changes"): create the new shape under a scratch name, copy the rows, drop
 * the old table, rename the new one into place, recreate indexes and triggers. The executor
 * supplies the rest of the procedure — foreign_keys OFF, one transaction, foreign_key_check
 * before COMMIT — and legacy_alter_table ON, so the rename leaves references in other tables,
 * views and triggers as written (they already name the final table).
 */

export interface RebuildSpec {
  /** The table as it is when the rebuild runs. */
  from: Table;
  /** The shape it must have afterwards (same name as `from`: renames are separate steps). */
  to: Table;
  /** For each column of `to` that keeps data: the column of `from` it comes from. */
  sources: ReadonlyMap<string, string>;
  /** CREATE TRIGGER texts of triggers on the table that survive unchanged. */
  triggers: string[];
}

/** A column of the new shape that cannot be filled from the old rows. */
export interface UnfillableColumn {
  table: string;
  column: string;
}

export const scratchName = (table: string) => `_isotyp_new_${table}`;

/** The statements of one rebuild, or the first NOT NULL column without a value for old rows. */
export function rebuildStatements(spec: RebuildSpec): string[] | UnfillableColumn {
  const { from, to } = spec;
  const scratch = scratchName(to.name);
  const targets: string[] = [];
  const values: string[] = [];
  for (const column of to.columns) {
    if (column.generated !== null) continue;
    const source = spec.sources.get(column.name);
    const old = source === undefined ? undefined : from.columns.find((c) => c.name === source);
    if (old === undefined) {
      // Omitted columns take their default; NOT NULL without one fails for any existing row.
      if (!column.nullable && column.default === null) return { table: to.name, column: column.name };
      continue;
    }
    targets.push(quoteIdent(column.name));
    values.push(copyExpression(old, column));
  }
  // Rowid tables without an INTEGER PRIMARY KEY keep their rowids, which users may rely on.
  if (keepsRowid(from, to)) {
    targets.unshift('rowid');
    values.unshift('rowid');
  }
  const statements = [renderCreateTable(to, scratch)];
  if (from.options.autoincrement === true && to.options.autoincrement === true) {
    // Seed the scratch table's counter so AUTOINCREMENT never reuses ids of deleted rows.
    statements.push(
      `INSERT INTO sqlite_sequence (name, seq) SELECT ${quoteString(scratch)}, seq FROM sqlite_sequence WHERE name = ${quoteString(from.name)}`,
    );
  }
  if (targets.length > 0) {
    statements.push(
      `INSERT INTO ${quoteIdent(scratch)} (${targets.join(', ')})\n  SELECT ${values.join(', ')} FROM ${quoteIdent(from.name)}`,
    );
  }
  statements.push(
    `DROP TABLE ${quoteIdent(from.name)}`,
    `ALTER TABLE ${quoteIdent(scratch)} RENAME TO ${quoteIdent(to.name)}`,
    ...to.indexes.map((index) => renderCreateIndex(to, index)),
    ...spec.triggers,
  );
  return statements;
}

/** Becoming NOT NULL with a default backfills the old NULLs with that default. */
function copyExpression(old: Column, column: Column): string {
  const value = quoteIdent(old.name);
  if (old.nullable && !column.nullable && column.default !== null) {
    return `COALESCE(${value}, ${defaultValueExpression(column.default)})`;
  }
  return value;
}

const ROWID_NAMES = new Set(['rowid', 'oid', '_rowid_']);

function keepsRowid(from: Table, to: Table): boolean {
  if (from.options.withoutRowid === true || to.options.withoutRowid === true || hasRowidAlias(to)) return false;
  // A column called rowid hides the real one.
  return ![...from.columns, ...to.columns].some((c) => ROWID_NAMES.has(c.name.toLowerCase()));
}

/** Storage classes by declared type, https://www.sqlite.org/datatype3.html §3.1. */
export function affinity(type: string): 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC' {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/**
 * Rows whose values may change on the way through: a column becoming generated discards its
 * stored values, and a text or untyped column becoming numeric converts '007' to 7.
 */
export function narrows(old: Column, column: Column): boolean {
  if (column.generated !== null && old.generated === null) return true;
  const before = affinity(old.type);
  const after = affinity(column.type);
  return before !== after && (before === 'TEXT' || before === 'BLOB') && after !== 'TEXT' && after !== 'BLOB';
}
