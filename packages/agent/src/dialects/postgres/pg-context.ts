import type { Namespace, SchemaModel, Table } from '@isotyp/protocol';
import type { Change, TableChange } from '../../diff/changes.js';
import type { PlanContext } from '../../plan/dialect-planner.js';
import { emptyNamespace } from '../../schema/empty.js';

/*
 * What every part of the PostgreSQL planner looks things up in: both models, tables matched
 * across the plan (by name or by a rename hint), and the differ's changes grouped by object.
 */

/** A table that exists before and after the plan, possibly renamed. */
export interface TablePair {
  ns: string;
  from: Table;
  to: Table;
  /** The differ's changes for it (empty when only what the differ does not compare changed). */
  changes: TableChange[];
  /** Column renames, old name → new name. */
  columnRenames: Map<string, string>;
}

export interface PgContext {
  from: SchemaModel;
  to: SchemaModel;
  changes: Change[];
  concurrentIndexes: boolean;
  pairs: TablePair[];
  /** Pairs by the table's key before the plan and after it. */
  pairsByFrom: Map<string, TablePair>;
  pairsByTo: Map<string, TablePair>;
  created: { ns: string; table: Table }[];
  dropped: { ns: string; table: Table }[];
}

const EMPTY: Namespace = emptyNamespace('');

export function namespaceOf(model: SchemaModel, name: string): Namespace {
  return model.namespaces.find((n) => n.name === name) ?? { ...EMPTY, name };
}

export const tableKey = (ns: string, name: string): string => `${ns}\u0000${name}`;

export function buildContext(changes: Change[], context: PlanContext): PgContext {
  const renames = new Map<string, string>(); // ns+new → old
  const alters = new Map<string, TableChange[]>();
  for (const change of changes) {
    if (change.kind === 'rename-table') renames.set(tableKey(change.namespace, change.to.name), change.from.name);
    if (change.kind === 'alter-table') alters.set(tableKey(change.namespace, change.to.name), change.changes);
  }
  const renamedAway = new Set([...renames].map(([k, old]) => tableKey(k.split('\u0000')[0] ?? '', old)));
  const pairs: TablePair[] = [];
  const created: PgContext['created'] = [];
  const kept = new Set<string>();
  for (const ns of context.to.namespaces) {
    const fromTables = new Map(namespaceOf(context.from, ns.name).tables.map((t) => [t.name, t]));
    for (const table of ns.tables) {
      const key = tableKey(ns.name, table.name);
      const oldName = renames.get(key) ?? (renamedAway.has(key) ? undefined : table.name);
      const old = oldName === undefined ? undefined : fromTables.get(oldName);
      if (old === undefined) {
        created.push({ ns: ns.name, table });
        continue;
      }
      kept.add(tableKey(ns.name, old.name));
      const tableChanges = alters.get(key) ?? [];
      const columnRenames = new Map<string, string>();
      for (const c of tableChanges) if (c.kind === 'rename-column') columnRenames.set(c.from.name, c.to.name);
      pairs.push({ ns: ns.name, from: old, to: table, changes: tableChanges, columnRenames });
    }
  }
  const dropped = context.from.namespaces.flatMap((ns) =>
    ns.tables.filter((t) => !kept.has(tableKey(ns.name, t.name))).map((table) => ({ ns: ns.name, table })),
  );
  return {
    from: context.from,
    to: context.to,
    changes,
    concurrentIndexes: context.options.concurrentIndexes === true,
    pairs,
    pairsByFrom: new Map(pairs.map((p) => [tableKey(p.ns, p.from.name), p])),
    pairsByTo: new Map(pairs.map((p) => [tableKey(p.ns, p.to.name), p])),
    created,
    dropped,
  };
}

/** The pair of the table `name` had before the plan, if it is kept. */
export function pairOfFrom(ctx: PgContext, ns: string, name: string): TablePair | undefined {
  return ctx.pairsByFrom.get(tableKey(ns, name));
}

/** The pair of the table `name` has after the plan, if it existed before. */
export function pairOfTo(ctx: PgContext, ns: string, name: string): TablePair | undefined {
  return ctx.pairsByTo.get(tableKey(ns, name));
}

/** The old name of a column of `pair` now called `name` (renames followed back). */
export function oldColumnName(pair: TablePair, name: string): string {
  for (const [old, now] of pair.columnRenames) if (now === name) return old;
  return name;
}
