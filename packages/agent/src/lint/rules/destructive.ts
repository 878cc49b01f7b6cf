import type { LintRule } from '../rule.js';
import { ref, tableChanges } from '../rule.js';

export const dropTable: LintRule = {
  code: 'destructive/drop-table',
  severity: 'error',
  summary: 'Dropping a table deletes all of its rows; they cannot be restored by a rollback.',
  check: (ctx) =>
    ctx.changes.flatMap((c) =>
      c.kind === 'drop-table'
        ? [{ object: ref('table', c.namespace, c.table.name), message: `Drops table ${c.table.name} and its rows.` }]
        : [],
    ),
};

export const dropColumn: LintRule = {
  code: 'destructive/drop-column',
  severity: 'error',
  summary: 'Dropping a column deletes its values and breaks clients that still read it.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'drop-column'
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.column.name}`),
              message: `Drops column ${table.name}.${change.column.name} and its values.`,
            },
          ]
        : [],
    ),
};

export const dropSchema: LintRule = {
  code: 'destructive/drop-schema',
  severity: 'error',
  summary: 'Dropping a schema drops every object in it.',
  check: (ctx) =>
    ctx.changes.flatMap((c) =>
      c.kind === 'drop-namespace'
        ? [
            {
              object: ref('namespace', c.namespace.name, c.namespace.name),
              message: `Drops schema ${c.namespace.name}.`,
            },
          ]
        : [],
    ),
};

export const dropForeignKey: LintRule = {
  code: 'destructive/drop-foreign-key',
  severity: 'warning',
  summary: 'Dropping a foreign key stops the database from protecting referential integrity.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'drop-foreign-key' && !replaced(table, change.foreignKey.name)
        ? [
            {
              object: ref('foreign-key', namespace, `${table.name}.${change.foreignKey.name}`),
              message: `Drops foreign key ${change.foreignKey.name} on ${table.name}.`,
            },
          ]
        : [],
    ),
};

export const dropEnumValue: LintRule = {
  code: 'destructive/enum-value-removed',
  severity: 'error',
  summary: 'Removing or reordering enum values recreates the type; rows holding a removed value fail.',
  check: (ctx) =>
    ctx.changes.flatMap((c) =>
      c.kind === 'drop-enum' &&
      ctx.changes.some(
        (d) =>
          d.kind === 'create-enum' && d.type.name === c.type.name && !keepsValuesInOrder(c.type.values, d.type.values),
      )
        ? [
            {
              object: ref('enum', c.namespace, c.type.name),
              message: `Recreates enum ${c.type.name} without some values or in a new order.`,
            },
          ]
        : [],
    ),
};

/** A constraint dropped and re-added under the same name is a change, not a removal. */
function replaced(table: { foreignKeys: { name: string }[] }, name: string): boolean {
  return table.foreignKeys.some((fk) => fk.name === name);
}

/** A recreated enum that keeps every old value in order (e.g. only its comment changed) loses nothing. */
function keepsValuesInOrder(before: string[], after: string[]): boolean {
  let i = 0;
  for (const value of after) if (value === before[i]) i++;
  return i === before.length;
}
