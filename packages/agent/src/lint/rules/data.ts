import type { LintRule } from '../rule.js';
import { existedBefore, ref, rowsOf, tableChanges } from '../rule.js';

export const notNullWithoutDefault: LintRule = {
  code: 'data/not-null-without-default',
  severity: 'error',
  summary: 'A NOT NULL column without a default cannot be added to a table that has rows.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'add-column' &&
      !change.column.nullable &&
      change.column.default === null &&
      change.column.identity === null &&
      change.column.generated === null &&
      rowsOf(ctx, namespace, table.name) !== 0
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.column.name}`),
              message: `${table.name}.${change.column.name} is NOT NULL with no default; existing rows would have no value.`,
            },
          ]
        : [],
    ),
};

export const newUniqueness: LintRule = {
  code: 'data/new-uniqueness',
  severity: 'warning',
  summary: 'A new UNIQUE constraint or index on an existing table fails if duplicates already exist.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) => {
      if (!existedBefore(ctx, namespace, table.name) || rowsOf(ctx, namespace, table.name) === 0) return [];
      if (change.kind === 'add-unique') {
        return [
          {
            object: ref('unique', namespace, `${table.name}.${change.unique.name}`),
            message: `Duplicates in (${change.unique.columns.join(', ')}) make this fail.`,
          },
        ];
      }
      if (change.kind === 'add-index' && change.index.unique) {
        return [
          {
            object: ref('index', namespace, `${table.name}.${change.index.name}`),
            message: `Unique index ${change.index.name} fails on existing duplicates.`,
          },
        ];
      }
      return [];
    }),
};

export const setNotNull: LintRule = {
  code: 'data/set-not-null',
  severity: 'warning',
  summary: 'Making an existing column NOT NULL fails if any row holds NULL there.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'alter-column' &&
      change.properties.includes('nullable') &&
      !change.to.nullable &&
      change.from.nullable
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.to.name}`),
              message: `Rows with NULL in ${table.name}.${change.to.name} make this fail.`,
            },
          ]
        : [],
    ),
};
