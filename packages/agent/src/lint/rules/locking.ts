import type { LintRule } from '../rule.js';
import { existedBefore, ref, rowsOf, tableChanges } from '../rule.js';

/*
 * PostgreSQL locking hazards: statements that hold ACCESS EXCLUSIVE (or SHARE) locks for as long
 * as they scan or rewrite a table, blocking the application meanwhile.
 */

const VOLATILE =
  /\b(?:now|clock_timestamp|random|gen_random_uuid|uuid_generate_v\d|nextval|timeofday|statement_timestamp)\s*\(/i;

export const nonConcurrentIndex: LintRule = {
  code: 'locking/non-concurrent-index',
  severity: 'warning',
  dialect: 'postgres',
  summary: 'CREATE INDEX without CONCURRENTLY blocks writes to an existing table while it builds.',
  check: (ctx) =>
    ctx.ops.flatMap((op) =>
      op.action === 'create-index' &&
      op.transactional &&
      existedBefore(ctx, op.object.namespace ?? '', tableOf(op.object.name))
        ? [
            {
              object: op.object,
              message: `Index ${op.object.name} is built while writes wait; plan with --concurrent-indexes.`,
            },
          ]
        : [],
    ),
};

export const typeChangeRewrite: LintRule = {
  code: 'locking/type-change-rewrite',
  severity: 'warning',
  summary: 'Changing a column type rewrites the table under an exclusive lock (a rebuild on SQLite).',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'alter-column' && change.properties.includes('type') && existedBefore(ctx, namespace, table.name)
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.to.name}`),
              message: `${table.name}.${change.to.name}: ${change.from.type} → ${change.to.type} rewrites ${describeRows(rowsOf(ctx, namespace, table.name))}.`,
            },
          ]
        : [],
    ),
};

export const volatileDefault: LintRule = {
  code: 'locking/volatile-default',
  severity: 'warning',
  dialect: 'postgres',
  summary: 'Adding a column with a volatile default (now(), random()…) rewrites every row under lock.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'add-column' && change.column.default !== null && VOLATILE.test(change.column.default)
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.column.name}`),
              message: `Default ${change.column.default} is evaluated per row: the table is rewritten.`,
            },
          ]
        : [],
    ),
};

export const setNotNullScan: LintRule = {
  code: 'locking/set-not-null-scan',
  severity: 'warning',
  dialect: 'postgres',
  summary: 'SET NOT NULL scans the whole table under an exclusive lock unless a valid CHECK proves it.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'alter-column' && change.properties.includes('nullable') && !change.to.nullable
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.to.name}`),
              message: `Making ${table.name}.${change.to.name} NOT NULL scans ${describeRows(rowsOf(ctx, namespace, table.name))}.`,
            },
          ]
        : [],
    ),
};

export const constraintWithoutNotValid: LintRule = {
  code: 'locking/constraint-without-not-valid',
  severity: 'warning',
  dialect: 'postgres',
  summary: 'Adding a FOREIGN KEY or CHECK to an existing table validates every row while holding a lock.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) => {
      if (!existedBefore(ctx, namespace, table.name)) return [];
      if (change.kind === 'add-foreign-key' || change.kind === 'add-check') {
        const name = change.kind === 'add-check' ? change.check.name : change.foreignKey.name;
        return [
          {
            object: ref(change.kind === 'add-check' ? 'check' : 'foreign-key', namespace, `${table.name}.${name}`),
            message: `${name} is validated against ${describeRows(rowsOf(ctx, namespace, table.name))} in one step; add it NOT VALID and VALIDATE later.`,
          },
        ];
      }
      return [];
    }),
};

export const largeTableRewrite: LintRule = {
  code: 'locking/large-table-rewrite',
  severity: 'error',
  summary: 'A rebuild or rewrite of a table with more than 1,000,000 rows holds its lock for minutes.',
  check: (ctx) =>
    ctx.ops.flatMap((op) => {
      if (op.action !== 'rebuild-table' && op.action !== 'alter-column-type') return [];
      const rows = rowsOf(ctx, op.object.namespace ?? '', tableOf(op.object.name));
      return rows !== undefined && rows > 1_000_000
        ? [{ object: op.object, message: `${op.action} on ${op.object.name} rewrites ${describeRows(rows)}.` }]
        : [];
    }),
};

function describeRows(rows: number | undefined): string {
  return rows === undefined ? 'the whole table' : `about ${rows.toLocaleString('en-US')} rows`;
}

/** Operation objects name columns and indexes as `table.name`; tables as `table`. */
function tableOf(name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}
