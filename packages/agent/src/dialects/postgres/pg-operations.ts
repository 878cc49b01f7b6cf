import type { ForeignKey, Index, PlanOperation, Table } from '@isotyp/protocol';
import {
  constraintComment,
  indexComment,
  renderCheck,
  renderExclusion,
  renderForeignKey,
  renderPrimaryKey,
  renderUnique,
} from './pg-render.js';
import { qualify, quoteIdent } from './pg-sql.js';

/*
 * Operation builders. Lock impact follows the lock each statement takes: ALTER TABLE mostly
 * takes ACCESS EXCLUSIVE (`exclusive`), CREATE INDEX and ADD FOREIGN KEY take SHARE (ROW
 * EXCLUSIVE) locks that let reads through (`writes-blocked`), objects nobody uses yet lock
 * nothing (`none`). Every operation runs in the apply transaction except concurrent index
 * builds, which PostgreSQL refuses inside one.
 */

type ObjectKind = PlanOperation['object']['kind'];

export interface OpSpec {
  action: string;
  kind: ObjectKind;
  namespace: string;
  name: string;
  up: string[];
  /** Statements that undo it, or why it cannot be undone. */
  down: string[] | { irreversible: string };
  risk: PlanOperation['risk'];
  lock: PlanOperation['lock'];
  dataLoss?: boolean;
  transactional?: boolean;
}

export function operation(spec: OpSpec): PlanOperation {
  const reversible = Array.isArray(spec.down);
  return {
    action: spec.action,
    object: { kind: spec.kind, namespace: spec.namespace, name: spec.name },
    up: spec.up,
    down: Array.isArray(spec.down) ? spec.down : null,
    irreversibleReason: Array.isArray(spec.down) ? null : spec.down.irreversible,
    risk: spec.risk,
    lock: spec.lock,
    dataLoss: spec.dataLoss ?? !reversible,
    transactional: spec.transactional ?? true,
  };
}

/** A table's constraint other than a foreign key, as the model holds it. */
export type TableConstraint =
  | { kind: 'primary-key'; pk: NonNullable<Table['primaryKey']> }
  | { kind: 'unique'; unique: Table['uniques'][number] }
  | { kind: 'check'; check: Table['checks'][number] }
  | { kind: 'exclusion'; exclusion: NonNullable<Table['exclusions']>[number] };

export function constraintName(c: TableConstraint): string {
  switch (c.kind) {
    case 'primary-key':
      return c.pk.name ?? '';
    case 'unique':
      return c.unique.name;
    case 'check':
      return c.check.name;
    case 'exclusion':
      return c.exclusion.name;
    default: {
      const never: never = c;
      return never;
    }
  }
}

function constraintParts(c: TableConstraint): { sql: string; comment: string | null | undefined; kind: ObjectKind } {
  switch (c.kind) {
    case 'primary-key':
      return { sql: renderPrimaryKey(c.pk), comment: c.pk.comment, kind: 'primary-key' };
    case 'unique':
      return { sql: renderUnique(c.unique), comment: c.unique.comment, kind: 'unique' };
    case 'check':
      return { sql: renderCheck(c.check), comment: c.check.comment, kind: 'check' };
    case 'exclusion':
      return { sql: renderExclusion(c.exclusion), comment: c.exclusion.comment, kind: 'check' };
    default: {
      const never: never = c;
      return never;
    }
  }
}

const ACTION_WORD: Record<TableConstraint['kind'], string> = {
  'primary-key': 'primary-key',
  unique: 'unique',
  check: 'check',
  exclusion: 'exclusion',
};

function addStatements(ns: string, table: string, c: TableConstraint): string[] {
  const { sql, comment } = constraintParts(c);
  const add = `ALTER TABLE ${qualify(ns, table)} ADD ${sql}`;
  return comment ? [add, constraintComment(ns, table, constraintName(c), comment)] : [add];
}

const dropStatement = (ns: string, table: string, name: string) =>
  `ALTER TABLE ${qualify(ns, table)} DROP CONSTRAINT ${quoteIdent(name)}`;

/** ADD CONSTRAINT on a table that exists: it validates (or indexes) every row under lock. */
export function addConstraintOp(ns: string, table: string, c: TableConstraint): PlanOperation {
  const name = constraintName(c);
  return operation({
    action: `add-${ACTION_WORD[c.kind]}`,
    kind: constraintParts(c).kind,
    namespace: ns,
    name: `${table}.${name}`,
    up: addStatements(ns, table, c),
    down: [dropStatement(ns, table, name)],
    risk: 'caution',
    lock: 'exclusive',
  });
}

/** `table` is the name the table has when the drop runs (before any rename). */
export function dropConstraintOp(ns: string, table: string, c: TableConstraint): PlanOperation {
  const name = constraintName(c);
  return operation({
    action: `drop-${ACTION_WORD[c.kind]}`,
    kind: constraintParts(c).kind,
    namespace: ns,
    name: `${table}.${name}`,
    up: [dropStatement(ns, table, name)],
    down: addStatements(ns, table, c),
    risk: 'caution',
    lock: 'exclusive',
  });
}

function foreignKeyStatements(ns: string, table: string, fk: ForeignKey): string[] {
  const add = `ALTER TABLE ${qualify(ns, table)} ADD ${renderForeignKey(ns, fk)}`;
  return fk.comment ? [add, constraintComment(ns, table, fk.name, fk.comment)] : [add];
}

/** ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables while it checks every row. */
export function addForeignKeyOp(ns: string, table: string, fk: ForeignKey, existing: boolean): PlanOperation {
  return operation({
    action: 'add-foreign-key',
    kind: 'foreign-key',
    namespace: ns,
    name: `${table}.${fk.name}`,
    up: foreignKeyStatements(ns, table, fk),
    down: [dropStatement(ns, table, fk.name)],
    risk: existing ? 'caution' : 'safe',
    lock: existing ? 'writes-blocked' : 'none',
  });
}

export function dropForeignKeyOp(ns: string, table: string, fk: ForeignKey): PlanOperation {
  return operation({
    action: 'drop-foreign-key',
    kind: 'foreign-key',
    namespace: ns,
    name: `${table}.${fk.name}`,
    up: [dropStatement(ns, table, fk.name)],
    down: foreignKeyStatements(ns, table, fk),
    risk: 'caution',
    lock: 'exclusive',
  });
}

export interface IndexOpOptions {
  /** The table (or materialized view) exists before the plan: building blocks its writers. */
  existing: boolean;
  /** CREATE INDEX CONCURRENTLY, outside the transaction. */
  concurrent: boolean;
}

export function createIndexOp(
  ns: string,
  table: string,
  index: Index,
  render: (concurrently: boolean) => string,
  options: IndexOpOptions,
): PlanOperation {
  const drop = `DROP INDEX ${options.concurrent ? 'CONCURRENTLY ' : ''}${qualify(ns, index.name)}`;
  const comment = index.comment === null ? [] : [indexComment(ns, index)];
  return operation({
    action: 'create-index',
    kind: 'index',
    namespace: ns,
    // Named `table.index` so lint rules can tell whether the table existed before.
    name: `${table}.${index.name}`,
    up: [render(options.concurrent), ...comment],
    down: [drop],
    // A unique index on rows that exist fails on duplicates.
    risk: index.unique && options.existing ? 'caution' : 'safe',
    lock: !options.existing ? 'none' : options.concurrent ? 'none' : 'writes-blocked',
    transactional: !options.concurrent,
  });
}

export function dropIndexOp(ns: string, table: string, index: Index, render: () => string): PlanOperation {
  const comment = index.comment === null ? [] : [indexComment(ns, index)];
  return operation({
    action: 'drop-index',
    kind: 'index',
    namespace: ns,
    name: `${table}.${index.name}`,
    up: [`DROP INDEX ${qualify(ns, index.name)}`],
    down: [render(), ...comment],
    risk: index.unique ? 'caution' : 'safe',
    lock: 'exclusive',
  });
}

/** COMMENT ON …: changes only the catalogue. */
export function commentOp(
  kind: ObjectKind,
  ns: string,
  name: string,
  statement: (comment: string | null) => string,
  from: string | null,
  to: string | null,
): PlanOperation {
  return operation({
    action: 'set-comment',
    kind,
    namespace: ns,
    name,
    up: [statement(to)],
    down: [statement(from)],
    risk: 'safe',
    lock: 'none',
  });
}
