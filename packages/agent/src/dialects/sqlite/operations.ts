import type { Index, PlanOperation, Table } from '@isotyp/protocol';
import type { InPlaceStep } from './in-place.js';
import { renderColumn, renderCreateIndex, renderCreateTable } from './render.js';
import { quoteIdent } from './sql.js';

/*
 * Operation builders. SQLite takes one write lock for the whole database, so every DDL
 * statement blocks writers (`writes-blocked`) and a rebuild, which also rewrites every row of
 * the table, is `exclusive`. Everything runs inside the executor's single transaction.
 */

type ObjectKind = PlanOperation['object']['kind'];

interface OpSpec {
  action: string;
  kind: ObjectKind;
  name: string;
  up: string[];
  /** Statements that undo it, or why it cannot be undone. */
  down: string[] | { irreversible: string };
  risk: PlanOperation['risk'];
  lock?: PlanOperation['lock'];
  dataLoss?: boolean;
}

export function operation(namespace: string, spec: OpSpec): PlanOperation {
  const irreversible = !Array.isArray(spec.down);
  return {
    action: spec.action,
    object: { kind: spec.kind, namespace, name: spec.name },
    up: spec.up,
    down: Array.isArray(spec.down) ? spec.down : null,
    irreversibleReason: Array.isArray(spec.down) ? null : spec.down.irreversible,
    risk: spec.risk,
    lock: spec.lock ?? 'writes-blocked',
    dataLoss: spec.dataLoss ?? irreversible,
    transactional: true,
  };
}

export function createTableOp(namespace: string, table: Table): PlanOperation {
  return operation(namespace, {
    action: 'create-table',
    kind: 'table',
    name: table.name,
    up: [renderCreateTable(table)],
    down: [`DROP TABLE ${quoteIdent(table.name)}`],
    risk: 'safe',
  });
}

export function dropTableOp(namespace: string, table: Table): PlanOperation {
  return operation(namespace, {
    action: 'drop-table',
    kind: 'table',
    name: table.name,
    up: [`DROP TABLE ${quoteIdent(table.name)}`],
    down: { irreversible: `dropping table ${table.name} discards its rows` },
    risk: 'destructive',
  });
}

export function renameTableOp(namespace: string, from: string, to: string): PlanOperation {
  return operation(namespace, {
    action: 'rename-table',
    kind: 'table',
    name: to,
    up: [`ALTER TABLE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`],
    down: [`ALTER TABLE ${quoteIdent(to)} RENAME TO ${quoteIdent(from)}`],
    risk: 'caution',
  });
}

/** One in-place ALTER TABLE step on `table` (its desired shape, for rendering added columns). */
export function columnStepOp(namespace: string, table: Table, step: InPlaceStep): PlanOperation {
  const alter = `ALTER TABLE ${quoteIdent(table.name)}`;
  switch (step.kind) {
    case 'add-column':
      return operation(namespace, {
        action: 'add-column',
        kind: 'column',
        name: `${table.name}.${step.column.name}`,
        up: [`${alter} ADD COLUMN ${renderColumn(table, step.column, step.foreignKey)}`],
        // A foreign key written on the column goes with it, so DROP COLUMN accepts it.
        down: [`${alter} DROP COLUMN ${quoteIdent(step.column.name)}`],
        risk: step.foreignKey === null ? 'safe' : 'caution',
      });
    case 'drop-column':
      return operation(namespace, {
        action: 'drop-column',
        kind: 'column',
        name: `${table.name}.${step.column.name}`,
        up: [`${alter} DROP COLUMN ${quoteIdent(step.column.name)}`],
        down: { irreversible: `dropping ${table.name}.${step.column.name} discards its values` },
        risk: 'destructive',
      });
    case 'rename-column':
      return operation(namespace, {
        action: 'rename-column',
        kind: 'column',
        name: `${table.name}.${step.to}`,
        up: [`${alter} RENAME COLUMN ${quoteIdent(step.from)} TO ${quoteIdent(step.to)}`],
        down: [`${alter} RENAME COLUMN ${quoteIdent(step.to)} TO ${quoteIdent(step.from)}`],
        risk: 'caution',
      });
    default: {
      const never: never = step;
      return never;
    }
  }
}

/** `table` is the table as it is when the statement runs (its collations shape the keys). */
export function createIndexOp(namespace: string, table: Table, index: Index): PlanOperation {
  return operation(namespace, {
    action: 'create-index',
    kind: 'index',
    name: index.name,
    up: [renderCreateIndex(table, index)],
    down: [`DROP INDEX ${quoteIdent(index.name)}`],
    // A new unique index fails on existing duplicates.
    risk: index.unique ? 'caution' : 'safe',
  });
}

export function dropIndexOp(namespace: string, table: Table, index: Index): PlanOperation {
  return operation(namespace, {
    action: 'drop-index',
    kind: 'index',
    name: index.name,
    up: [`DROP INDEX ${quoteIdent(index.name)}`],
    down: [renderCreateIndex(table, index)],
    risk: index.unique ? 'caution' : 'safe',
  });
}
