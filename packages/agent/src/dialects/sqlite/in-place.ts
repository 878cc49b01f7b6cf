import type { Column, ForeignKey, Table } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { byName } from '../../schema/schema-digest.js';
import {
  derivedCheckLabel,
  derivedCheckName,
  derivedForeignKeyName,
  derivedUniqueName,
  isLiteralDefault,
  isNullDefault,
  mentions,
} from './sql.js';

/*
 * Which table changes SQLite can make with ALTER TABLE instead of a rebuild. Each step is
 * simulated on the model; the table is changed in place only when the simulation lands exactly
 * on the desired table. Anything the simulation cannot predict (SQLite rewriting an expression
 * that names a renamed column, a name that may or may not be written in the CREATE text)
 * sends the table to a rebuild, which renders the desired shape verbatim.
 */

export type InPlaceStep =
  | { kind: 'drop-column'; column: Column }
  | { kind: 'rename-column'; from: string; to: string }
  | { kind: 'add-column'; column: Column; foreignKey: ForeignKey | null };

/** What else in the schema an ALTER TABLE must not break or silently rewrite. */
export interface Surroundings {
  /** Names mentioned by the views and triggers that stay in place during the plan (lower case). */
  mentioned: ReadonlySet<string>;
  /** Foreign keys of every table that may reference this one (under any of `aliases`). */
  foreignKeys: ForeignKey[];
  /** Names the table has had during the plan, as other tables may still spell it. */
  aliases: string[];
}

/**
 * The table as ALTER TABLE … RENAME TO leaves it: derived constraint names follow the new
 * name. `exact` is false when a check or foreign key name only looks derived — it may be
 * written in the CREATE text, and then it does not follow.
 */
export function asRenamed(table: Table, name: string): { table: Table; exact: boolean } {
  let exact = true;
  const checks = table.checks.map((check) => {
    const label = derivedCheckLabel(table, check);
    if (label === null) return check;
    exact = false;
    return { ...check, name: derivedCheckName(name, label, check.expression) };
  });
  const foreignKeys = table.foreignKeys.map((fk) => {
    if (fk.name !== derivedForeignKeyName(table.name, fk.columns)) return fk;
    exact = false;
    return { ...fk, name: derivedForeignKeyName(name, fk.columns) };
  });
  const uniques = table.uniques.map((u) => ({ ...u, name: derivedUniqueName(name, u.columns) }));
  return { table: normalise({ ...table, name, checks, foreignKeys, uniques }), exact };
}

/** Steps that turn `from` (carrying only the indexes that stay) into `to`, or null. */
export function planInPlace(
  from: Table,
  to: Table,
  renames: ReadonlyMap<string, string>,
  around: Surroundings,
): InPlaceStep[] | null {
  const steps: InPlaceStep[] = [];
  let current = from;
  const wanted = new Set(to.columns.map((c) => c.name));
  for (const column of from.columns) {
    if (wanted.has(column.name) || renames.has(column.name)) continue;
    if (!canDrop(current, column, around)) return null;
    current = { ...current, columns: current.columns.filter((c) => c !== column) };
    steps.push({ kind: 'drop-column', column });
  }
  const pending = [...renames].sort(([a], [b]) => (a < b ? -1 : 1));
  while (pending.length > 0) {
    // A rename waits until its new name is free; a cycle (a↔b) needs a rebuild.
    const next = pending.findIndex(([, now]) => !current.columns.some((c) => sameName(c.name, now)));
    const [old, now] = pending.splice(next, 1)[0] ?? [];
    if (next < 0 || old === undefined || now === undefined || !canRename(current, old, around)) return null;
    current = renameColumn(current, old, now);
    steps.push({ kind: 'rename-column', from: old, to: now });
  }
  const kept = current.columns.map((c) => c.name);
  const leading = to.columns.slice(0, kept.length).map((c) => c.name);
  // ADD COLUMN appends: the new columns must be the desired table's last ones.
  if (!deepEqual(leading, kept)) return null;
  for (const column of to.columns.slice(kept.length)) {
    const fks = to.foreignKeys.filter((fk) => fk.columns.includes(column.name));
    const fk = fks[0] ?? null;
    if (fks.length > 1 || (fk !== null && fk.columns.length > 1) || !canAdd(to, column, fk)) return null;
    current = {
      ...current,
      columns: [...current.columns, column],
      foreignKeys: fk === null ? current.foreignKeys : [...current.foreignKeys, fk],
    };
    steps.push({ kind: 'add-column', column, foreignKey: fk });
  }
  return deepEqual(normalise({ ...current, indexes: to.indexes }), normalise(to)) ? steps : null;
}

/** ALTER TABLE DROP COLUMN refuses columns anything else depends on (lang_altertable §5). */
function canDrop(table: Table, column: Column, around: Surroundings): boolean {
  const name = column.name;
  return (
    table.columns.length > 1 &&
    !(table.primaryKey?.columns.includes(name) ?? false) &&
    !table.uniques.some((u) => u.columns.includes(name)) &&
    !table.foreignKeys.some((fk) => fk.columns.includes(name)) &&
    !table.checks.some((c) => mentions(c.expression, name) || derivedCheckLabel(table, c) === name) &&
    !table.columns.some((c) => c.generated !== null && mentions(c.generated.expression, name)) &&
    !table.indexes.some((i) => indexMentions(i, name)) &&
    !referenced(name, around) &&
    !around.mentioned.has(name.toLowerCase())
  );
}

/** RENAME COLUMN rewrites every expression naming the column; their new text is not predictable. */
function canRename(table: Table, name: string, around: Surroundings): boolean {
  return (
    !table.checks.some((c) => mentions(c.expression, name) || derivedCheckLabel(table, c) === name) &&
    !table.columns.some((c) => c.generated !== null && mentions(c.generated.expression, name)) &&
    !table.indexes.some((i) => i.keys.some((k) => k.expression !== null && mentions(k.expression, name))) &&
    !table.indexes.some((i) => i.where !== null && mentions(i.where, name)) &&
    !table.foreignKeys.some(
      (fk) => fk.columns.includes(name) && fk.name === derivedForeignKeyName(table.name, fk.columns),
    ) &&
    !referenced(name, around) &&
    !around.mentioned.has(name.toLowerCase())
  );
}

/** ALTER TABLE ADD COLUMN limits, https://www.sqlite.org/lang_altertable.html §6. */
function canAdd(to: Table, column: Column, fk: ForeignKey | null): boolean {
  if (to.primaryKey?.columns.includes(column.name) || to.uniques.some((u) => u.columns.includes(column.name))) {
    return false;
  }
  if (column.generated !== null) return !column.generated.stored && column.nullable;
  if (column.default !== null && !isLiteralDefault(column.default)) return false;
  if (!column.nullable && isNullDefault(column.default)) return false;
  return fk === null || isNullDefault(column.default);
}

/** SQLite compares column names case-insensitively. */
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function referenced(column: string, around: Surroundings): boolean {
  const names = around.aliases.map((a) => a.toLowerCase());
  return around.foreignKeys.some((fk) => names.includes(fk.refTable.toLowerCase()) && fk.refColumns.includes(column));
}

function indexMentions(index: Table['indexes'][number], name: string): boolean {
  return (
    index.keys.some((k) => k.column === name || (k.expression !== null && mentions(k.expression, name))) ||
    (index.where !== null && mentions(index.where, name))
  );
}

function renameColumn(table: Table, old: string, now: string): Table {
  const map = (names: string[]) => names.map((n) => (n === old ? now : n));
  return {
    ...table,
    columns: table.columns.map((c) => (c.name === old ? { ...c, name: now } : c)),
    primaryKey: table.primaryKey === null ? null : { ...table.primaryKey, columns: map(table.primaryKey.columns) },
    uniques: table.uniques.map((u) => ({
      ...u,
      columns: map(u.columns),
      name: derivedUniqueName(table.name, map(u.columns)),
    })),
    foreignKeys: table.foreignKeys.map((fk) => ({ ...fk, columns: map(fk.columns) })),
    indexes: table.indexes.map((i) => ({
      ...i,
      keys: i.keys.map((k) => (k.column === old ? { ...k, column: now } : k)),
    })),
  };
}

/** Lists in the order introspection produces them, so models compare as digests do. */
export function normalise(table: Table): Table {
  return {
    ...table,
    uniques: byName([...table.uniques]),
    indexes: byName([...table.indexes]),
    foreignKeys: byName([...table.foreignKeys]),
    checks: byName([...table.checks]),
  };
}
