import type { Namespace, Table, View } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { oldColumnName, type PgContext, type TablePair, tableKey } from './pg-context.js';
import { routineReplaceKind } from './pg-operations-definitions.js';
import type { Recreated } from './pg-operations-enum.js';
import { mentions, spellings } from './pg-sql.js';

/*
 * Objects PostgreSQL will not let a change go through while they depend on what changes: views
 * over a column whose type changes, a dropped column or table, a recreated type or routine;
 * triggers on such views or calling such routines; routines whose signature names a recreated
 * type; foreign keys over retyped columns or over a key being replaced. They are dropped
 * before the change and created again after it, from the desired state. A view depends on an
 * object when its definition names it (definitions are printed schema-qualified).
 */

type Routine = Namespace['routines'][number];

export const objectKey = (ns: string, name: string): string => `${ns}\u0000${name}`;

export interface Dependents {
  /** Columns whose type changes, by the table's key before the plan (old column names). */
  retyped: Map<string, Set<string>>;
  /** Views (by key) to drop before the changes and create again after. */
  views: Set<string>;
  /** Changed views replaced in place that append columns: their dependents move out of the way. */
  appending: Set<string>;
  /** Triggers (`ns, table.name`) to drop before and create after. */
  triggers: Set<string>;
  /** Routines (`ns, name(args)`) to drop before and create after: their signature names a recreated type. */
  routines: Set<string>;
  /** Foreign keys (`table key, name`) to drop before and add again after. */
  foreignKeys: Set<string>;
}

export type ViewReplace = 'comment' | 'indexes' | 'in-place' | 'append' | 'recreate';

export function viewReplaceKind(from: View, to: View): ViewReplace {
  const shape = (v: View) => [v.definition, v.materialized, v.columns, v.options ?? {}];
  if (deepEqual(shape(from), shape(to))) return deepEqual(from.indexes ?? [], to.indexes ?? []) ? 'comment' : 'indexes';
  if (from.materialized || to.materialized) return 'recreate';
  if (!from.columns.every((c, i) => to.columns[i] === c)) return 'recreate';
  return from.columns.length === to.columns.length ? 'in-place' : 'append';
}

/** Columns of kept tables typed `ns.type` (or an array of it), by their pair, before any change. */
export function typedColumns(
  ctx: PgContext,
  ns: string,
  type: string,
): { pair: TablePair; column: string; array: boolean }[] {
  const forms = new Set(spellings(ns, type));
  const found: { pair: TablePair; column: string; array: boolean }[] = [];
  for (const pair of ctx.pairs) {
    const dropped = new Set(pair.changes.flatMap((c) => (c.kind === 'drop-column' ? [c.column.name] : [])));
    for (const column of pair.from.columns) {
      if (dropped.has(column.name)) continue;
      const array = column.type.endsWith('[]');
      if (forms.has(array ? column.type.slice(0, -2) : column.type)) found.push({ pair, column: column.name, array });
    }
  }
  return found;
}

/** What a routine names that must exist when it is created: its signature, or an SQL-standard body. */
export function routineHeader(r: Routine): string {
  const body = r.definition.indexOf('\nAS ');
  return body < 0 ? r.definition : r.definition.slice(0, body);
}

export function findDependents(ctx: PgContext, recreated: { ns: string; change: Recreated }[]): Dependents {
  const retyped = new Map<string, Set<string>>();
  const addRetyped = (key: string, column: string) => retyped.set(key, (retyped.get(key) ?? new Set()).add(column));
  const disrupted = new Set(ctx.dropped.map((d) => tableKey(d.ns, d.table.name)));
  for (const pair of ctx.pairs) {
    const key = tableKey(pair.ns, pair.from.name);
    for (const c of pair.changes) {
      if (c.kind === 'alter-column' && (c.properties.includes('type') || c.properties.includes('collation'))) {
        addRetyped(key, oldColumnName(pair, c.to.name));
      }
      if (c.kind === 'drop-column') disrupted.add(key);
      // A view follows renames by itself, but its old text, put back on the way down before
      // the renames are undone, would name what no longer exists: it moves out of the way.
      if (c.kind === 'rename-column') disrupted.add(key);
      if (c.kind === 'set-primary-key' && c.from !== null && !sameKey(c.from, c.to)) disrupted.add(key);
    }
  }
  for (const { ns, change } of recreated) {
    for (const t of typedColumns(ctx, ns, change.to.name)) addRetyped(tableKey(t.pair.ns, t.pair.from.name), t.column);
  }
  for (const key of retyped.keys()) disrupted.add(key);
  for (const pair of ctx.pairs) if (pair.from.name !== pair.to.name) disrupted.add(tableKey(pair.ns, pair.from.name));

  const routines = new Set<string>();
  const recreatedRoutines: { ns: string; name: string }[] = [];
  for (const ns of ctx.from.namespaces) {
    for (const r of ns.routines) {
      const header = routineHeader(r);
      if (recreated.some((t) => mentions(header, t.ns, t.change.to.name))) {
        routines.add(objectKey(ns.name, `${r.name}(${r.arguments})`));
        recreatedRoutines.push({ ns: ns.name, name: r.name });
      }
    }
  }
  const created = new Set(
    ctx.changes.flatMap((c) => (c.kind === 'create-routine' ? [objectKey(c.namespace, c.routine.name)] : [])),
  );
  for (const change of ctx.changes) {
    if (change.kind === 'replace-routine' && routineReplaceKind(change.from, change.to) === 'recreate') {
      recreatedRoutines.push({ ns: change.namespace, name: change.from.name });
    }
    // Argument names are part of the identity the differ matches on but not of the signature
    // PostgreSQL does: the old routine may have to go before the new one can be created.
    if (change.kind === 'drop-routine' && created.has(objectKey(change.namespace, change.routine.name))) {
      routines.add(objectKey(change.namespace, `${change.routine.name}(${change.routine.arguments})`));
      recreatedRoutines.push({ ns: change.namespace, name: change.routine.name });
    }
  }

  const views = new Set<string>();
  const appending = new Set<string>();
  for (const change of ctx.changes) {
    if (change.kind === 'drop-view') views.add(objectKey(change.namespace, change.view.name));
    if (change.kind !== 'replace-view') continue;
    const kind = viewReplaceKind(change.from, change.to);
    if (kind === 'recreate') views.add(objectKey(change.namespace, change.from.name));
    if (kind === 'append') appending.add(objectKey(change.namespace, change.from.name));
  }
  const allViews = ctx.from.namespaces.flatMap((ns) => ns.views.map((view) => ({ ns: ns.name, view })));
  const tableNames = [...disrupted].map((k) => k.split('\u0000') as [string, string]);
  for (const { ns, view } of allViews) {
    const d = view.definition;
    if (
      tableNames.some(([tns, t]) => mentions(d, tns, t)) ||
      recreated.some((t) => mentions(d, t.ns, t.change.to.name)) ||
      recreatedRoutines.some((r) => mentions(d, r.ns, r.name))
    ) {
      views.add(objectKey(ns, view.name));
    }
  }
  // Views built on views that move, or on views that gain columns, move too.
  for (let size = -1; size !== views.size; ) {
    size = views.size;
    const moving = [...views, ...appending].map((k) => k.split('\u0000') as [string, string]);
    for (const { ns, view } of allViews) {
      if (!views.has(objectKey(ns, view.name)) && moving.some(([vns, v]) => mentions(view.definition, vns, v))) {
        views.add(objectKey(ns, view.name));
      }
    }
  }
  for (const key of views) appending.delete(key);

  // A view's triggers go with it, and a view gaining columns is dropped on the way down. A
  // changed trigger on a table whose columns are renamed moves, like a view, for the way down.
  const triggers = new Set<string>();
  for (const change of ctx.changes) {
    if (change.kind !== 'replace-trigger') continue;
    const pair = ctx.pairsByTo.get(tableKey(change.namespace, change.to.table));
    if (pair !== undefined && pair.columnRenames.size > 0)
      triggers.add(objectKey(change.namespace, `${change.from.table}.${change.from.name}`));
  }
  for (const ns of ctx.from.namespaces) {
    for (const t of ns.triggers) {
      const onView = views.has(objectKey(ns.name, t.table)) || appending.has(objectKey(ns.name, t.table));
      if (onView || recreatedRoutines.some((r) => mentions(t.definition, r.ns, r.name))) {
        triggers.add(objectKey(ns.name, `${t.table}.${t.name}`));
      }
    }
  }
  return { retyped, views, appending, triggers, routines, foreignKeys: foreignKeysAround(ctx, retyped) };
}

function sameKey(a: Table['primaryKey'], b: Table['primaryKey']): boolean {
  return a !== null && b !== null && a.name === b.name && deepEqual(a.columns, b.columns);
}

/** Column sets of the keys and unique indexes dropped from each table (by its old key). */
function droppedKeys(ctx: PgContext): Map<string, string[][]> {
  const result = new Map<string, string[][]>();
  for (const pair of ctx.pairs) {
    // The differ names a dropped unique's or index's columns as the desired state does;
    // foreign keys, like the old primary key, use the old names.
    const back = (cols: string[]) => cols.map((c) => oldColumnName(pair, c));
    const sets: string[][] = [];
    for (const c of pair.changes) {
      if (c.kind === 'set-primary-key' && c.from !== null && !sameKey(c.from, c.to)) sets.push(c.from.columns);
      if (c.kind === 'drop-unique') sets.push(back(c.unique.columns));
      if (c.kind === 'drop-index' && c.index.unique && c.index.keys.every((k) => k.column !== null)) {
        sets.push(back(c.index.keys.map((k) => k.column as string)));
      }
    }
    if (sets.length > 0) result.set(tableKey(pair.ns, pair.from.name), sets);
  }
  return result;
}

function foreignKeysAround(ctx: PgContext, retyped: Map<string, Set<string>>): Set<string> {
  const keys = droppedKeys(ctx);
  const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  const around = new Set<string>();
  for (const pair of ctx.pairs) {
    const key = tableKey(pair.ns, pair.from.name);
    const droppedByDiff = new Set(
      pair.changes.flatMap((c) => (c.kind === 'drop-foreign-key' ? [c.foreignKey.name] : [])),
    );
    for (const fk of pair.from.foreignKeys) {
      if (droppedByDiff.has(fk.name)) continue;
      const ref = tableKey(fk.refSchema ?? pair.ns, fk.refTable);
      if (
        fk.columns.some((c) => retyped.get(key)?.has(c)) ||
        fk.refColumns.some((c) => retyped.get(ref)?.has(c)) ||
        (keys.get(ref) ?? []).some((cols) => sameSet(cols, fk.refColumns))
      ) {
        around.add(objectKey(key, fk.name));
      }
    }
  }
  // A table about to be dropped still holds its keys while the keys it references are replaced.
  for (const { ns, table } of ctx.dropped) {
    for (const fk of table.foreignKeys) {
      const ref = tableKey(fk.refSchema ?? ns, fk.refTable);
      if ((keys.get(ref) ?? []).some((cols) => sameSet(cols, fk.refColumns)))
        around.add(objectKey(tableKey(ns, table.name), fk.name));
    }
  }
  return around;
}
