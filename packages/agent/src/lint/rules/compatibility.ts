import type { LintRule } from '../rule.js';
import { ref, tableChanges } from '../rule.js';

export const renameColumn: LintRule = {
  code: 'incompatible/rename-column',
  severity: 'warning',
  summary: 'Renaming a column breaks every client that still uses the old name.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'rename-column'
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.to.name}`),
              message: `${table.name}.${change.from.name} becomes ${change.to.name}; deploy readers first.`,
            },
          ]
        : [],
    ),
};

export const renameTable: LintRule = {
  code: 'incompatible/rename-table',
  severity: 'warning',
  summary: 'Renaming a table breaks every client and view that still uses the old name.',
  check: (ctx) =>
    ctx.changes.flatMap((c) =>
      c.kind === 'rename-table'
        ? [{ object: ref('table', c.namespace, c.to.name), message: `${c.from.name} becomes ${c.to.name}.` }]
        : [],
    ),
};

export const typeChange: LintRule = {
  code: 'incompatible/column-type-change',
  severity: 'warning',
  summary: 'A changed column type can truncate or reject values and changes what clients receive.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'alter-column' && change.properties.includes('type')
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.to.name}`),
              message: `${table.name}.${change.to.name} changes from ${change.from.type} to ${change.to.type}.`,
            },
          ]
        : [],
    ),
};

export const dropView: LintRule = {
  code: 'incompatible/drop-view',
  severity: 'warning',
  summary: 'Dropping a view breaks the queries and reports that read it.',
  check: (ctx) =>
    ctx.changes.flatMap((c) =>
      c.kind === 'drop-view'
        ? [
            {
              object: ref(c.view.materialized ? 'materialized-view' : 'view', c.namespace, c.view.name),
              message: `Drops view ${c.view.name}.`,
            },
          ]
        : [],
    ),
};
