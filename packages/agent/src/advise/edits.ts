import { IsotypError, type SchemaEdit, type SchemaModel, type Table } from '@isotyp/protocol';
import { checkEdits } from './check-edits.js';

/**
 * Applies a suggestion's edits to a schema model and returns the edited copy: the desired state
 * the suggestion proposes, which `createPlan(live, edited)` plans like any other. The input is
 * never changed. Edits that do not fit the model (checkEdits: a table, column or index that is not
 * there, a taken name) are refused as a whole: a suggestion made against another schema, or an
 * LLM's invention.
 *
 * @example
 * const desired = applyEdits(live, suggestion.edits);
 * const { plan } = createPlan(live, desired, sqlitePlanner);
 */
export function applyEdits(model: SchemaModel, edits: readonly SchemaEdit[]): SchemaModel {
  const problem = checkEdits(model, edits);
  if (problem !== null) refuse(problem);
  const copy = structuredClone(model);
  for (const edit of edits) applyEdit(copy, edit);
  return copy;
}

function applyEdit(model: SchemaModel, edit: SchemaEdit): void {
  const table = tableOf(model, edit.namespace, edit.table);
  switch (edit.op) {
    case 'add-index': {
      table.indexes = [...table.indexes, edit.index].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return;
    }
    case 'drop-index': {
      table.indexes = table.indexes.filter((i) => i.name !== edit.index);
      return;
    }
    case 'add-primary-key': {
      for (const name of edit.columns) columnOf(table, name).nullable = false;
      table.primaryKey = {
        name: model.dialect === 'postgres' ? `${edit.table}_pkey`.slice(0, 63) : null,
        columns: [...edit.columns],
        ...(model.dialect === 'postgres' ? { comment: null } : {}),
      };
      return;
    }
    case 'alter-column-type':
      columnOf(table, edit.column).type = edit.type;
      return;
    case 'set-not-null':
      columnOf(table, edit.column).nullable = false;
      return;
  }
}

function tableOf(model: SchemaModel, namespace: string, name: string): Table {
  const table = model.namespaces.find((n) => n.name === namespace)?.tables.find((t) => t.name === name);
  if (table === undefined) refuse(`no table ${namespace}.${name}`);
  return table;
}

function columnOf(table: Table, name: string) {
  const column = table.columns.find((c) => c.name === name);
  if (column === undefined) refuse(`no column ${table.name}.${name}`);
  return column;
}

function refuse(reason: string): never {
  throw new IsotypError('ISOTYP_INVALID_INPUT', `The suggested edit does not fit this schema: ${reason}.`, {
    hint: 'Run isotyp suggest again against the current database.',
  });
}
