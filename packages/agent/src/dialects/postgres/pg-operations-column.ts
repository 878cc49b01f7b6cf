import { type Column, IsotypError, type PlanOperation } from '@isotyp/protocol';
import type { ColumnProperty } from '../../diff/changes.js';
import { type OpSpec, operation } from './pg-operations.js';
import { renderColumn, renderIdentity } from './pg-render.js';
import { literalOrNull, qualify, quoteIdent } from './pg-sql.js';
import { isLossless } from './pg-type-cast.js';

/*
 * Column operations. One column's property changes run in an order PostgreSQL accepts: an
 * identity or generation expression goes before the column can take a default or lose NOT NULL;
 * the old default goes before a type change (PostgreSQL would try to cast it) and the new one
 * comes after; NOT NULL comes before ADD … AS IDENTITY, which requires it.
 */

const alterTable = (ns: string, table: string) => `ALTER TABLE ${qualify(ns, table)}`;

export function addColumnOp(ns: string, table: string, column: Column): PlanOperation {
  const alter = alterTable(ns, table);
  // Rows that exist get NULL unless something fills them: NOT NULL alone fails on a non-empty table.
  const filled = column.nullable || column.default !== null || column.identity !== null || column.generated !== null;
  return operation({
    action: 'add-column',
    kind: 'column',
    namespace: ns,
    name: `${table}.${column.name}`,
    up: [`${alter} ADD COLUMN ${renderColumn(column)}`, ...columnComment(ns, table, column)],
    down: [`${alter} DROP COLUMN ${quoteIdent(column.name)}`],
    risk: filled ? 'safe' : 'caution',
    lock: 'exclusive',
  });
}

function columnComment(ns: string, table: string, column: Column): string[] {
  if (column.comment === null) return [];
  return [`COMMENT ON COLUMN ${qualify(ns, table)}.${quoteIdent(column.name)} IS ${literalOrNull(column.comment)}`];
}

/** `table` is the name before any rename: drops run first. */
export function dropColumnOp(ns: string, table: string, column: Column): PlanOperation {
  // A generated column's values are computed, so putting it back gives them back.
  const down =
    column.generated === null
      ? { irreversible: `dropping ${table}.${column.name} discards its values` }
      : [`${alterTable(ns, table)} ADD COLUMN ${renderColumn(column)}`, ...columnComment(ns, table, column)];
  return operation({
    action: 'drop-column',
    kind: 'column',
    namespace: ns,
    name: `${table}.${column.name}`,
    up: [`${alterTable(ns, table)} DROP COLUMN ${quoteIdent(column.name)}`],
    down,
    risk: 'destructive',
    lock: 'exclusive',
    dataLoss: column.generated === null,
  });
}

export function renameColumnOp(ns: string, table: string, from: string, to: string): PlanOperation {
  const alter = alterTable(ns, table);
  return operation({
    action: 'rename-column',
    kind: 'column',
    namespace: ns,
    name: `${table}.${to}`,
    up: [`${alter} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)}`],
    down: [`${alter} RENAME COLUMN ${quoteIdent(to)} TO ${quoteIdent(from)}`],
    risk: 'caution',
    lock: 'exclusive',
  });
}

/**
 * The operations that take column `from` (already under its new name) to `to` on `table`.
 * Comments are left to the caller.
 */
export function alterColumnOps(
  ns: string,
  table: string,
  from: Column,
  to: Column,
  properties: readonly ColumnProperty[],
): PlanOperation[] {
  const has = (p: ColumnProperty) => properties.includes(p);
  const column = `${alterTable(ns, table)} ALTER COLUMN ${quoteIdent(to.name)}`;
  const op: OpFactory = (action, up, down, extra = {}) =>
    operation({
      action,
      kind: 'column',
      namespace: ns,
      name: `${table}.${to.name}`,
      up,
      down,
      risk: 'caution',
      lock: 'exclusive',
      ...extra,
    });
  const setDefault = (d: string | null) => (d === null ? `${column} DROP DEFAULT` : `${column} SET DEFAULT ${d}`);
  const ops: PlanOperation[] = [];
  const retyped = has('type') || has('collation');

  if (has('generated') && to.generated !== null) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `${table}.${to.name}: PostgreSQL cannot make a column generated, or change its expression, in place.`,
      {
        hint: 'Drop the column in one change and add it back generated in the next, or give it a new name.',
        details: { table, column: to.name },
      },
    );
  }
  if (has('identity') && from.identity !== null && to.identity === null) {
    ops.push(op('drop-identity', [`${column} DROP IDENTITY`], [`${column} ADD ${renderIdentity(from.identity)}`]));
  }
  if (has('generated') && from.generated !== null) {
    // Values stay as they were computed; the expression cannot be given back in place.
    ops.push(
      op(
        'drop-expression',
        [`${column} DROP EXPRESSION`],
        { irreversible: `PostgreSQL cannot make ${table}.${to.name} generated again in place` },
        { dataLoss: false },
      ),
    );
  }
  if (has('default') && !retyped && to.default === null) {
    ops.push(op('drop-default', [setDefault(null)], [setDefault(from.default)]));
  }
  if (retyped) ops.push(typeOp(column, from, to, has('default'), op));
  if (has('default') && !retyped && to.default !== null) {
    ops.push(op('set-default', [setDefault(to.default)], [setDefault(from.default)], { risk: 'safe' }));
  }
  if (has('nullable') && !to.nullable) {
    // Rows holding NULL would make SET NOT NULL fail; the desired default fills them first.
    const backfill =
      to.default === null || to.identity !== null
        ? []
        : [
            `UPDATE ${qualify(ns, table)} SET ${quoteIdent(to.name)} = ${to.default} WHERE ${quoteIdent(to.name)} IS NULL`,
          ];
    ops.push(op('set-not-null', [...backfill, `${column} SET NOT NULL`], [`${column} DROP NOT NULL`]));
  }
  if (has('identity') && to.identity !== null) {
    if (from.identity === null) {
      ops.push(op('add-identity', [`${column} ADD ${renderIdentity(to.identity)}`], [`${column} DROP IDENTITY`]));
    } else {
      const set = (i: NonNullable<Column['identity']>) =>
        `${column} SET GENERATED ${i.generation === 'always' ? 'ALWAYS' : 'BY DEFAULT'} SET START WITH ${i.start} SET INCREMENT BY ${i.increment}`;
      ops.push(op('alter-identity', [set(to.identity)], [set(from.identity)]));
    }
  }
  if (has('nullable') && to.nullable)
    ops.push(op('drop-not-null', [`${column} DROP NOT NULL`], [`${column} SET NOT NULL`]));
  return ops;
}

type OpFactory = (action: string, up: string[], down: OpSpec['down'], extra?: Partial<OpSpec>) => PlanOperation;

/**
 * ALTER COLUMN … TYPE … USING col::type, in both directions. The column's default is dropped
 * before and set after (the desired one going up, the old one coming down), whether or not it
 * changes, so PostgreSQL never has to cast it.
 */
function typeOp(column: string, from: Column, to: Column, defaultChanges: boolean, op: OpFactory): PlanOperation {
  const name = quoteIdent(to.name);
  const alterType = (c: Column) => {
    const collation = c.collation ?? (from.collation !== null || to.collation !== null ? '"default"' : null);
    // USING is refused on a generated column: its values are recomputed instead.
    const using = c.generated === null ? ` USING ${name}::${c.type}` : '';
    return `${column} TYPE ${c.type}${collation === null ? '' : ` COLLATE ${collation}`}${using}`;
  };
  const around = (c: Column, before: Column) => [
    ...(before.default === null ? [] : [`${column} DROP DEFAULT`]),
    alterType(c),
    ...(c.default === null ? [] : [`${column} SET DEFAULT ${c.default}`]),
  ];
  const target = defaultChanges ? to : { ...to, default: from.default };
  const lossless = isLossless(from.type, to.type);
  return op('alter-column-type', around(target, from), around(from, target), {
    risk: lossless ? 'caution' : 'destructive',
    dataLoss: !lossless,
  });
}
