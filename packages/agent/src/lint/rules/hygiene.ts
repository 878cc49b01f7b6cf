import type { Table } from '@isotyp/protocol';
import type { LintContext, LintRule, RawFinding } from '../rule.js';
import { ref } from '../rule.js';

/** Tables of the desired state that the change creates or alters (untouched tables are not re-reported). */
function touchedTables(ctx: LintContext): { namespace: string; table: Table }[] {
  return ctx.changes.flatMap((c) =>
    c.kind === 'create-table'
      ? [{ namespace: c.namespace, table: c.table }]
      : c.kind === 'alter-table'
        ? [{ namespace: c.namespace, table: c.to }]
        : [],
  );
}

export const noPrimaryKey: LintRule = {
  code: 'hygiene/no-primary-key',
  severity: 'warning',
  summary: 'A table without a primary key cannot be replicated logically and invites duplicate rows.',
  check: (ctx) =>
    touchedTables(ctx).flatMap(({ namespace, table }): RawFinding[] =>
      table.primaryKey === null && !table.options.partitionBy && !table.options.partitionOf
        ? [{ object: ref('table', namespace, table.name), message: `${table.name} has no primary key.` }]
        : [],
    ),
};

export const unindexedForeignKey: LintRule = {
  code: 'hygiene/unindexed-foreign-key',
  severity: 'warning',
  summary: 'Foreign-key columns without an index make deletes on the parent scan the child table.',
  check: (ctx) =>
    touchedTables(ctx).flatMap(({ namespace, table }) =>
      table.foreignKeys
        .filter((fk) => !isIndexed(table, fk.columns))
        .map((fk) => ({
          object: ref('foreign-key', namespace, `${table.name}.${fk.name}`),
          message: `${table.name}(${fk.columns.join(', ')}) references ${fk.refTable} but no index starts with those columns.`,
        })),
    ),
};

/** True when some index, unique constraint or the primary key starts with `columns` (in any order). */
export function isIndexed(table: Table, columns: string[]): boolean {
  const leading = (keys: (string | null)[]) =>
    keys.length >= columns.length && columns.every((c) => keys.slice(0, columns.length).includes(c));
  return (
    (table.primaryKey !== null && leading(table.primaryKey.columns)) ||
    table.uniques.some((u) => leading(u.columns)) ||
    table.indexes.some((i) => i.where === null && leading(i.keys.map((k) => k.column)))
  );
}
