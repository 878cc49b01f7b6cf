import type { LintRule } from '../rule.js';
import { ref, tableChanges } from '../rule.js';

/** Literals, signed numbers, NULL, TRUE/FALSE and CURRENT_* are what SQLite allows as an ADD COLUMN default. */
const CONSTANT =
  /^(?:'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|null|true|false|x'[0-9a-f]*'|\(\s*[-+]?\d+(?:\.\d+)?\s*\))$/i;

export const nonConstantDefault: LintRule = {
  code: 'sqlite/non-constant-default',
  severity: 'warning',
  dialect: 'sqlite',
  summary:
    'SQLite cannot ADD COLUMN with an expression default (e.g. CURRENT_TIMESTAMP): the table is rebuilt instead.',
  check: (ctx) =>
    [...tableChanges(ctx)].flatMap(({ namespace, table, change }) =>
      change.kind === 'add-column' && change.column.default !== null && !CONSTANT.test(change.column.default.trim())
        ? [
            {
              object: ref('column', namespace, `${table.name}.${change.column.name}`),
              message: `Default ${change.column.default} is not a constant: ${table.name} is rebuilt to add it.`,
            },
          ]
        : [],
    ),
};

export const rebuildNeeded: LintRule = {
  code: 'sqlite/rebuild-needed',
  severity: 'info',
  dialect: 'sqlite',
  summary: 'SQLite cannot ALTER this in place: the table is copied into a new one (12-step rebuild).',
  check: (ctx) =>
    ctx.ops.flatMap((op) =>
      op.action === 'rebuild-table'
        ? [
            {
              object: op.object,
              message: `${op.object.name} is rebuilt: rows are copied, indexes and triggers recreated.`,
            },
          ]
        : [],
    ),
};
