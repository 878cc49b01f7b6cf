import { type Column, digest, type ForeignKey, type Table } from '@isotyp/protocol';
import { tokenize } from './ddl-text.js';

/*
 * Quoting and the names SQLite introspection derives for objects the CREATE text leaves
 * unnamed. The derivations must match `introspect.ts` exactly: the planner renders a derived
 * name by leaving the object unnamed, so the live text stays as "natural" as a hand-written
 * one and later renames re-derive the name the same way a freshly loaded schema would.
 */

type Check = Table['checks'][number];

/** A double-quoted identifier; embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function derivedUniqueName(table: string, columns: string[]): string {
  return `${table}_${columns.join('_')}_key`;
}

export function derivedForeignKeyName(table: string, columns: string[]): string {
  return `${table}_${columns.join('_')}_fkey`;
}

/** `label` is the column a column-level CHECK was written on, or `check` for a table-level one. */
export function derivedCheckName(table: string, label: string, expression: string): string {
  return `${table}_${label}_${digest('definition', expression).slice(7, 15)}`;
}

/**
 * Where an unnamed CHECK must be written so introspection derives `check.name` again: on a
 * column (the column's name), as a table constraint (`check`), or null when the name was given.
 */
export function derivedCheckLabel(table: Table, check: Check): string | null {
  const prefix = `${table.name}_`;
  if (!check.name.startsWith(prefix)) return null;
  const label = check.name.slice(prefix.length, -9);
  if (label !== 'check' && !table.columns.some((c) => c.name === label)) return null;
  return derivedCheckName(table.name, label, check.expression) === check.name ? label : null;
}

export function isDerivedForeignKey(table: Table, fk: ForeignKey): boolean {
  return fk.name === derivedForeignKeyName(table.name, fk.columns);
}

/** Literals SQLite accepts as an ADD COLUMN default and as a bare DEFAULT term. */
const LITERAL =
  /^(?:[-+]?\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\s*0[xX][0-9a-fA-F]+|'(?:[^']|'')*'|[xX]'[0-9a-fA-F]*'|NULL|TRUE|FALSE)$/i;
/** A lone identifier: SQLite reads `DEFAULT abc` as the string 'abc', and CURRENT_* as keywords. */
const BARE_WORD = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const QUOTED_WORD = /^(?:"(?:[^"]|"")*"|\[[^\]]*\]|`(?:[^`]|``)*`)$/;

export function isLiteralDefault(text: string): boolean {
  return LITERAL.test(text.trim());
}

export function isNullDefault(text: string | null): boolean {
  return text === null || /^null$/i.test(text.trim());
}

/**
 * The DEFAULT clause for a stored default. SQLite stores `DEFAULT (expr)` without its outer
 * parentheses, so anything but a single term is parenthesised again: that round-trips.
 */
export function renderDefault(text: string): string {
  return LITERAL.test(text) || BARE_WORD.test(text) || QUOTED_WORD.test(text) ? text : `(${text})`;
}

/** The default as a value expression (for COALESCE while copying rows into a rebuilt table). */
export function defaultValueExpression(text: string): string {
  if (LITERAL.test(text) || /^CURRENT_(?:TIME|DATE|TIMESTAMP)$/i.test(text)) return text;
  if (BARE_WORD.test(text)) return quoteString(text);
  if (QUOTED_WORD.test(text)) return quoteString(text.slice(1, -1));
  return `(${text})`;
}

/** The names `sql` mentions (words and quoted identifiers), lower-cased as SQLite compares them. */
export function identifiersOf(sql: string): Set<string> {
  const names = new Set<string>();
  for (const t of tokenize(sql)) if (t.kind === 'word' || t.kind === 'ident') names.add(t.value.toLowerCase());
  return names;
}

/** True when `sql` mentions `name` as an identifier (quoted or not), case-insensitively. */
export function mentions(sql: string, name: string): boolean {
  return identifiersOf(sql).has(name.toLowerCase());
}

/** Collation names are identifiers; quote only those that need it. */
export function renderCollation(name: string): string {
  return BARE_WORD.test(name) ? name : quoteIdent(name);
}

/** The table a column belongs to may declare a collation an index key inherits. */
export function columnOf(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}
