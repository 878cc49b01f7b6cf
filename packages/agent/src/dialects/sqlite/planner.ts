import { IsotypError, type Namespace, type PlanOperation, type SchemaModel, type Table } from '@isotyp/protocol';
import type { Change } from '../../diff/changes.js';
import type { DialectPlanner, PlanContext } from '../../plan/dialect-planner.js';
import { byName } from '../../schema/schema-digest.js';
import { planDefinitions } from './definitions.js';
import { normalise } from './in-place.js';
import { createIndexOp, createTableOp, dropTableOp } from './operations.js';
import { dependencyOrder } from './order.js';
import { planTable, type TablePlan, type TableRename } from './plan-table.js';

/*
 * Phases, each in a deterministic order:
 *   1. views and triggers that go away or change are dropped (dependents first);
 *   2. indexes that go away or change are dropped;
 *   3. tables are dropped (children first), renamed, created (parents first);
 *   4. tables are altered in place or rebuilt (parents first);
 *   5. new indexes, then views, then triggers are created.
 * Tables are compared as whole models rather than through the differ's table changes: whether
 * SQLite can ALTER in place depends on the whole table, and a table whose columns only moved
 * (which the differ does not report) must still be rebuilt to reach the desired digest.
 */

/** The SQLite planner: ALTER TABLE where SQLite allows it, the 12-step rebuild otherwise. */
export const sqlitePlanner: DialectPlanner = {
  plan: (changes, context) => planSqlite(changes, context),
};

const TABLE_CHANGES = new Set<Change['kind']>(['create-table', 'drop-table', 'rename-table', 'alter-table']);
const DEFINITION_CHANGES = new Set<Change['kind']>([
  'create-view',
  'drop-view',
  'replace-view',
  'create-trigger',
  'drop-trigger',
  'replace-trigger',
  // SQLite has no comments: nothing to plan.
  'set-namespace-comment',
]);

function planSqlite(changes: Change[], context: PlanContext): PlanOperation[] {
  for (const change of changes) {
    if (!TABLE_CHANGES.has(change.kind) && !DEFINITION_CHANGES.has(change.kind)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `SQLite cannot plan a ${change.kind} change.`, {
        hint: 'SQLite has one schema (main) and no enums, domains, sequences or routines.',
      });
    }
  }
  const from = mainNamespace(context.from);
  const to = mainNamespace(context.to);
  const ns = to.name;
  const tableRenames = new Map<string, string>();
  const columnRenames = new Map<string, Map<string, string>>();
  for (const change of changes) {
    if (change.kind === 'rename-table') tableRenames.set(change.from.name, change.to.name);
    if (change.kind !== 'alter-table') continue;
    for (const inner of change.changes) {
      if (inner.kind !== 'rename-column') continue;
      const map = columnRenames.get(change.to.name) ?? new Map<string, string>();
      columnRenames.set(change.to.name, map.set(inner.from.name, inner.to.name));
    }
  }
  const renamedTo = new Map([...tableRenames].map(([old, now]) => [now, old]));
  const fromTables = new Map(from.tables.map((t) => [t.name, t]));
  const pairs: { from: Table; to: Table }[] = [];
  const created: Table[] = [];
  for (const table of to.tables) {
    const oldName = renamedTo.get(table.name) ?? (tableRenames.has(table.name) ? undefined : table.name);
    const old = oldName === undefined ? undefined : fromTables.get(oldName);
    if (old === undefined) created.push(table);
    else pairs.push({ from: old, to: table });
  }
  const paired = new Set(pairs.map((p) => p.from.name));
  const dropped = from.tables.filter((t) => !paired.has(t.name));

  const definitions = planDefinitions(ns, from, to, [...dropped.map((t) => t.name), ...tableRenames.keys()]);
  const foreignKeys = from.tables.flatMap((t) => t.foreignKeys);
  const indexOwners = new Map(from.tables.flatMap((t) => t.indexes.map((i) => [i.name.toLowerCase(), t.name])));
  const plans: TablePlan[] = [];
  for (const pair of dependencyOrder(
    pairs,
    (p) => p.to.name,
    (p) => refTables(p.to),
  )) {
    const triggers = definitions.keptTriggers.filter((t) => t.table === pair.to.name).map((t) => t.definition);
    const around = { mentioned: definitions.mentioned, foreignKeys, aliases: [pair.from.name, pair.to.name] };
    const renames = columnRenames.get(pair.to.name) ?? new Map<string, string>();
    plans.push(planTable(ns, pair.from, pair.to, renames, around, triggers, indexOwners));
  }
  const creates = dependencyOrder(created, (t) => t.name, refTables);
  return [
    ...definitions.early,
    ...plans.flatMap((p) => p.dropIndexes),
    ...dependencyOrder(dropped, (t) => t.name, refTables)
      .reverse()
      .map((t) => dropTableOp(ns, t)),
    ...renameOrder(plans.flatMap((p) => (p.rename === null ? [] : [p.rename]))),
    ...creates.map((t) => createTableOp(ns, t)),
    ...plans.flatMap((p) => p.alter),
    ...creates.flatMap((t) => t.indexes.map((index) => createIndexOp(ns, t, index))),
    ...plans.flatMap((p) => p.createIndexes),
    ...definitions.late,
  ];
}

function refTables(table: Table): string[] {
  return table.foreignKeys.map((fk) => fk.refTable);
}

/** A rename into a name another rename frees runs after that one. */
function renameOrder(renames: TableRename[]): PlanOperation[] {
  return dependencyOrder(
    renames,
    (r) => r.to,
    (r) => renames.filter((other) => other.from.toLowerCase() === r.to.toLowerCase()).map((other) => other.to),
  ).map((r) => r.op);
}

/** The one namespace, every list sorted by name, so the plan never depends on input order. */
function mainNamespace(model: SchemaModel): Namespace {
  const [main, ...others] = model.namespaces;
  if (main === undefined || others.length > 0 || model.dialect !== 'sqlite') {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The SQLite planner needs a SQLite model with one namespace.', {
      hint: 'Introspect the target and the desired state with the SQLite dialect.',
    });
  }
  return {
    ...main,
    tables: byName(main.tables.map(normalise)),
    views: byName([...main.views]),
    triggers: byName([...main.triggers]),
  };
}
