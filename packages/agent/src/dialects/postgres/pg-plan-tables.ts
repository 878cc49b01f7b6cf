import type { PlanOperation, Table } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { type PgContext, pairOfTo, type TablePair, tableKey } from './pg-context.js';
import { type Dependents, objectKey } from './pg-dependents.js';
import { addForeignKeyOp, createIndexOp, dropForeignKeyOp, operation } from './pg-operations.js';
import { createTableOp, dropTableOp, renameTableOp } from './pg-operations-table.js';
import { dependencyOrder, dropOrder } from './pg-order.js';
import type { Phases } from './pg-phases.js';
import { planTablePair } from './pg-plan-table.js';
import { renderCreateIndex } from './pg-render.js';
import { qualify, splitNameList, splitQualified } from './pg-sql.js';

/*
 * Tables: dropped children first, renamed in an order that frees names before taking them,
 * altered parents first (partitions follow their parent's ALTER), and created as nodes of the
 * planner's creation graph with their indexes and foreign keys added once every table exists.
 */

/** Keys (`ns, name`) of the tables a table needs first: its parents and referenced tables. */
export function tableDependencies(ns: string, table: Table, withForeignKeys: boolean): string[] {
  const parents = [
    ...(typeof table.options.partitionOf === 'string' ? [table.options.partitionOf] : []),
    ...(typeof table.options.inherits === 'string' ? splitNameList(table.options.inherits) : []),
  ].map((p) => splitQualified(p, ns));
  const refs = withForeignKeys
    ? table.foreignKeys.map((fk) => ({ namespace: fk.refSchema ?? ns, name: fk.refTable }))
    : [];
  return [...parents, ...refs].map((t) => tableKey(t.namespace, t.name));
}

export function planTables(ctx: PgContext, deps: Dependents, phases: Phases): void {
  planDrops(ctx, deps, phases);
  const renames = ctx.pairs.filter((p) => p.from.name !== p.to.name);
  const renameOps = dependencyOrder(
    renames.map((p) => ({
      item: renameTableOp(p.ns, p.from.name, p.to.name),
      key: tableKey(p.ns, p.to.name),
      rank: 0,
      // A rename into a name another rename frees runs after that one.
      dependsOn: renames
        .filter((o) => o.ns === p.ns && o.from.name === p.to.name)
        .map((o) => tableKey(o.ns, o.to.name)),
    })),
  );
  phases.alterTables.push(...renameOps);
  const ordered = dependencyOrder(
    ctx.pairs.map((pair) => ({
      item: pair,
      key: tableKey(pair.ns, pair.to.name),
      rank: 0,
      dependsOn: tableDependencies(pair.ns, pair.to, false),
    })),
  );
  for (const pair of ordered) if (hasWork(pair, deps)) planTablePair(ctx, pair, deps, phases);
  for (const { ns, table } of ctx.created) {
    for (const index of table.indexes) {
      const render = () => renderCreateIndex(ns, table.name, index);
      phases.createIndexes.push(createIndexOp(ns, table.name, index, render, { existing: false, concurrent: false }));
    }
    for (const fk of table.foreignKeys) phases.addForeignKeys.push(addForeignKeyOp(ns, table.name, fk, false));
  }
}

/**
 * The differ compares everything but exclusion constraints, so a table without changes, equal
 * exclusions and no foreign key to move is left alone (thousands of tables cost nothing).
 */
function hasWork(pair: TablePair, deps: Dependents): boolean {
  if (pair.changes.length > 0 || pair.from.name !== pair.to.name) return true;
  if (!deepEqual(pair.from.exclusions ?? [], pair.to.exclusions ?? [])) return true;
  const key = tableKey(pair.ns, pair.from.name);
  return pair.from.foreignKeys.some((fk) => deps.foreignKeys.has(objectKey(key, fk.name)));
}

function planDrops(ctx: PgContext, deps: Dependents, phases: Phases): void {
  const dropped = dropOrder(
    ctx.dropped.map((d) => ({
      item: d,
      key: tableKey(d.ns, d.table.name),
      rank: 0,
      dependsOn: tableDependencies(d.ns, d.table, true),
    })),
  );
  const position = new Map(dropped.map((d, i) => [tableKey(d.ns, d.table.name), i]));
  const fkDrops: PlanOperation[] = [];
  dropped.forEach((d, i) => {
    // A reference cycle: the table this one references goes first, so the key goes before both.
    for (const fk of d.table.foreignKeys) {
      const target = position.get(tableKey(fk.refSchema ?? d.ns, fk.refTable));
      const around = deps.foreignKeys.has(objectKey(tableKey(d.ns, d.table.name), fk.name));
      if ((target !== undefined && target < i) || around) fkDrops.push(dropForeignKeyOp(d.ns, d.table.name, fk));
    }
  });
  phases.dropForeignKeys.push(...fkDrops);
  phases.dropTables.push(...dropped.map((d) => dropTableOp(d.ns, d.table)));
}

/** The checks a partition's parent has when the partition is attached (see renderCreateTable). */
export function parentChecksAtAttach(ctx: PgContext, ns: string, table: Table): Table['checks'] {
  if (typeof table.options.partitionOf !== 'string') return [];
  const parent = splitQualified(table.options.partitionOf, ns);
  const created = ctx.created.find((c) => c.ns === parent.namespace && c.table.name === parent.name);
  if (created !== undefined) return created.table.checks;
  const pair = pairOfTo(ctx, parent.namespace, parent.name);
  if (pair === undefined) return [];
  // New checks are added after the tables are created; dropped ones are gone before.
  return pair.from.checks.filter((c) => pair.to.checks.some((n) => n.name === c.name && n.expression === c.expression));
}

/**
 * A new table's CREATE. A new partition of a table that already exists is attached only once
 * that parent has its final columns (the attach phase), since it is created with them.
 */
export function createTableNode(ctx: PgContext, ns: string, table: Table, phases: Phases): PlanOperation {
  const parentText = table.options.partitionOf;
  if (typeof parentText !== 'string') return createTableOp(ns, table, []);
  const parent = splitQualified(parentText, ns);
  const checks = parentChecksAtAttach(ctx, ns, table);
  if (pairOfTo(ctx, parent.namespace, parent.name) === undefined) return createTableOp(ns, table, checks);
  const { partitionOf: _, partitionBound: bound, ...options } = table.options;
  const name = qualify(ns, table.name);
  phases.attach.push(
    operation({
      action: 'attach-partition',
      kind: 'table',
      namespace: ns,
      name: table.name,
      up: [`ALTER TABLE ${parentText} ATTACH PARTITION ${name} ${typeof bound === 'string' ? bound : 'DEFAULT'}`],
      down: [`ALTER TABLE ${parentText} DETACH PARTITION ${name}`],
      risk: 'safe',
      lock: 'none',
    }),
  );
  return createTableOp(ns, { ...table, options }, checks);
}
