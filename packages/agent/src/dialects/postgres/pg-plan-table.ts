import type { Column } from '@isotyp/protocol';
import type { ColumnProperty, TableChange } from '../../diff/changes.js';
import { deepEqual } from '../../diff/match.js';
import { oldColumnName, type PgContext, type TablePair } from './pg-context.js';
import type { Dependents } from './pg-dependents.js';
import { inheritedChanges } from './pg-inherited.js';
import { commentOp } from './pg-operations.js';
import { addColumnOp, alterColumnOps, dropColumnOp, renameColumnOp } from './pg-operations-column.js';
import { optionOps } from './pg-operations-table.js';
import type { Phases } from './pg-phases.js';
import { planConstraints, planForeignKeys, planIndexes } from './pg-plan-constraints.js';
import { literalOrNull, qualify, quoteIdent, renameIdentifiers } from './pg-sql.js';

/*
 * One kept table's changes, spread over the plan's phases: columns and options here, then its
 * constraints, indexes and foreign keys (pg-plan-constraints.ts). Drops name the table and
 * columns as they are before the plan; adds name them as they will be. Partitions and
 * inheritance children skip what their parent's ALTER already does to them.
 */

const CHANGEABLE: ColumnProperty[] = ['type', 'collation', 'nullable', 'default', 'identity', 'generated'];

export function planTablePair(ctx: PgContext, pair: TablePair, deps: Dependents, phases: Phases): void {
  const { ns } = pair;
  const before = pair.from.name;
  const after = pair.to.name;
  const parent = inheritedChanges(ctx, pair);
  const comment = (
    kind: Parameters<typeof commentOp>[0],
    name: string,
    statement: (c: string | null) => string,
    from: string | null | undefined,
    to: string | null | undefined,
  ) => phases.comments.push(commentOp(kind, ns, name, statement, from ?? null, to ?? null));

  const columnComment = (column: string, from: string | null, to: string | null) => {
    const target = (c: string | null) =>
      `COMMENT ON COLUMN ${qualify(ns, after)}.${quoteIdent(column)} IS ${literalOrNull(c)}`;
    if (from !== to) comment('column', `${after}.${column}`, target, from, to);
  };
  /** A child's column after its parent's statement recursed into it, taken to the desired shape. */
  const fromParent = (recursed: Column, wanted: Column) => {
    const properties = CHANGEABLE.filter((p) => !deepEqual(recursed[p], wanted[p]));
    phases.alterTables.push(...alterColumnOps(ns, after, recursed, wanted, properties));
  };

  // A generation expression naming a renamed column follows the rename by itself.
  const followsRename = (from: Column, to: Column) =>
    from.generated !== null &&
    to.generated !== null &&
    renameIdentifiers(from.generated.expression, pair.columnRenames) === to.generated.expression;

  for (const change of pair.changes) planChange(change);
  // Columns the parent changes that the differ saw no change in here (the child kept its value).
  const planned = new Set(
    pair.changes.flatMap((c) =>
      c.kind === 'alter-column' ? [c.to.name] : c.kind === 'add-column' ? [c.column.name] : [],
    ),
  );
  for (const name of parent.touched) {
    const wanted = pair.to.columns.find((c) => c.name === name);
    const current = pair.from.columns.find((c) => c.name === oldColumnName(pair, name));
    if (wanted === undefined || current === undefined || planned.has(name)) continue;
    const recursed = parent.recursed(name, { ...current, name });
    if (recursed !== undefined) fromParent(recursed, wanted);
  }
  function planChange(change: TableChange): void {
    switch (change.kind) {
      case 'rename-column':
        if (!parent.renames(change.from.name, change.to.name))
          phases.alterTables.push(renameColumnOp(ns, after, change.from.name, change.to.name));
        return;
      case 'add-column': {
        const recursed = parent.recursed(change.column.name, undefined);
        if (recursed === undefined) phases.alterTables.push(addColumnOp(ns, after, change.column));
        else {
          fromParent(recursed, change.column);
          columnComment(change.column.name, null, change.column.comment);
        }
        return;
      }
      case 'drop-column':
        if (!parent.drops(change.column.name)) phases.dropColumns.push(dropColumnOp(ns, before, change.column));
        return;
      case 'alter-column': {
        const recursed = parent.recursed(change.to.name, change.from);
        if (recursed === undefined) {
          const properties = change.properties.filter(
            (p) => p !== 'comment' && !(p === 'generated' && followsRename(change.from, change.to)),
          );
          phases.alterTables.push(...alterColumnOps(ns, after, change.from, change.to, properties));
        } else fromParent(recursed, change.to);
        if (change.properties.includes('comment'))
          columnComment(change.to.name, change.from.comment, change.to.comment);
        return;
      }
      case 'set-primary-key':
      case 'add-unique':
      case 'drop-unique':
      case 'add-check':
      case 'drop-check':
      case 'add-index':
      case 'drop-index':
      case 'add-foreign-key':
      case 'drop-foreign-key':
        // Paired by name below, so a comment-only difference is not a drop and an add.
        return;
      case 'set-options': {
        const ops = optionOps(ns, pair.from, pair.to);
        phases.dropConstraints.push(...ops.detach);
        phases.alterTables.push(...ops.alter);
        phases.attach.push(...ops.attach);
        return;
      }
      case 'set-comment':
        comment(
          'table',
          after,
          (c) => `COMMENT ON TABLE ${qualify(ns, after)} IS ${literalOrNull(c)}`,
          change.from,
          change.to,
        );
        return;
      default: {
        const never: never = change;
        throw new Error(`unknown table change ${String(never)}`);
      }
    }
  }

  planConstraints(pair, phases, comment);
  planIndexes(ctx, pair, phases, comment);
  planForeignKeys(pair, deps, phases, comment);
}
