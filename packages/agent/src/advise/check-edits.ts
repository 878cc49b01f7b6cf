import type { Namespace, SchemaEdit, SchemaModel, Table } from '@isotyp/protocol';

/*
 * An edit can be well-formed and still name things that are not there: an LLM invents tables,
 * drops indexes that never existed, reuses a taken name; a suggestion made against yesterday's
 * schema meets today's. These checks hold each edit against the live model (applyEdits runs
 * them first) so that what a person reviews can at least be planned.
 */

/**
 * Why the edits of one suggestion do not fit `model`, or null when they all do. Edits are
 * checked in order, so an index added by one edit is taken for the next.
 */
export function checkEdits(model: SchemaModel, edits: readonly SchemaEdit[]): string | null {
  const added = new Set<string>();
  for (const [i, edit] of edits.entries()) {
    const problem = checkEdit(model, edit, added);
    if (problem !== null) return `edit ${i} (${edit.op}): ${problem}`;
  }
  return null;
}

function checkEdit(model: SchemaModel, edit: SchemaEdit, added: Set<string>): string | null {
  const namespace = model.namespaces.find((ns) => ns.name === edit.namespace);
  if (namespace === undefined) return `namespace ${quote(edit.namespace)} does not exist`;
  const table = namespace.tables.find((t) => t.name === edit.table);
  if (table === undefined) return `table ${quote(`${edit.namespace}.${edit.table}`)} does not exist`;
  switch (edit.op) {
    case 'add-index': {
      const name = edit.index.name;
      if (added.has(`${namespace.name}\u0000${name}`) || nameTaken(namespace, name)) {
        return `the name ${quote(name)} is already taken in ${quote(namespace.name)}`;
      }
      for (const key of edit.index.keys) {
        if (key.column === null && (key.expression === null || key.expression.trim() === '')) {
          return 'an index key has neither a column nor an expression';
        }
        if (key.column !== null && !hasColumn(table, key.column)) return missingColumn(table, key.column);
      }
      for (const column of edit.index.include) {
        if (!hasColumn(table, column)) return missingColumn(table, column);
      }
      added.add(`${namespace.name}\u0000${name}`);
      return null;
    }
    case 'drop-index':
      return table.indexes.some((index) => index.name === edit.index)
        ? null
        : `table ${quote(table.name)} has no index ${quote(edit.index)}`;
    case 'add-primary-key': {
      if (table.primaryKey !== null) return `table ${quote(table.name)} already has a primary key`;
      const missing = edit.columns.find((column) => !hasColumn(table, column));
      return missing === undefined ? null : missingColumn(table, missing);
    }
    case 'alter-column-type':
    case 'set-not-null':
      return hasColumn(table, edit.column) ? null : missingColumn(table, edit.column);
    default: {
      const never: never = edit;
      return `unknown operation ${quote(String((never as { op: unknown }).op))}`;
    }
  }
}

/** Index names share a namespace with tables, views and other indexes (SQLite and PostgreSQL). */
export function nameTaken(namespace: Namespace, name: string): boolean {
  return (
    namespace.tables.some((t) => t.name === name || t.indexes.some((index) => index.name === name)) ||
    namespace.views.some((v) => v.name === name || (v.indexes ?? []).some((index) => index.name === name)) ||
    namespace.sequences.some((s) => s.name === name)
  );
}

const hasColumn = (table: Table, column: string) => table.columns.some((c) => c.name === column);
const missingColumn = (table: Table, column: string) => `table ${quote(table.name)} has no column ${quote(column)}`;

/** Names come from the LLM: quoted and cut short so a reason stays one readable line. */
function quote(name: string): string {
  const short = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return JSON.stringify(short);
}
