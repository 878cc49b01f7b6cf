import type { Namespace, PlanOperation, View } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { operation } from './operations.js';
import { dependencyOrder } from './order.js';
import { identifiersOf, quoteIdent } from './sql.js';

/*
 * Views and triggers are kept as their CREATE text and recreated from it verbatim. Any that
 * goes away or changes is dropped before the first table change and created after the last:
 * SQLite's ALTER TABLE … DROP/RENAME COLUMN re-parses every view and trigger and fails on one
 * that names a table dropped or renamed earlier in the plan. Unchanged ones that name such a
 * table are moved out of the way the same way. The rest stay in place — a table rebuild, run
 * with legacy_alter_table ON, leaves them naming the table that takes the old one's place.
 */

type Trigger = Namespace['triggers'][number];

export interface DefinitionPlan {
  /** Drops, in an order that removes dependents first. */
  early: PlanOperation[];
  /** Creates, dependencies first; triggers last. */
  late: PlanOperation[];
  /** Triggers that stay; a rebuild recreates those on its table (DROP TABLE drops them). */
  keptTriggers: Trigger[];
  /** Names mentioned by the views and triggers that stay in place (lower case). */
  mentioned: Set<string>;
}

/** `goneTables`: tables dropped or renamed away, which staying definitions must not name. */
export function planDefinitions(
  namespace: string,
  from: Namespace,
  to: Namespace,
  goneTables: string[],
): DefinitionPlan {
  const gone = new Set(goneTables.map((t) => t.toLowerCase()));
  const names = new Map<string, Set<string>>();
  const identifiers = (sql: string) => names.get(sql) ?? names.set(sql, identifiersOf(sql)).get(sql) ?? new Set();
  const toViews = new Map(to.views.map((v) => [v.name, v]));
  const toTriggers = new Map(to.triggers.map((t) => [t.name, t]));
  const leaving = new Set<string>(); // lower-cased names of views and triggers dropped early
  const mustLeave = (name: string, sql: string, desired: unknown, current: unknown, on: string | null) =>
    desired === undefined ||
    !deepEqual(desired, current) ||
    [...identifiers(sql)].some((n) => gone.has(n) || leaving.has(n)) ||
    (on !== null && leaving.has(on.toLowerCase())) ||
    leaving.has(name.toLowerCase());
  // A view or trigger leaving can make others that name it leave too: repeat until stable.
  for (let size = -1; size !== leaving.size; ) {
    size = leaving.size;
    for (const v of from.views)
      if (mustLeave(v.name, v.definition, toViews.get(v.name), v, null)) leaving.add(v.name.toLowerCase());
    for (const t of from.triggers) {
      if (mustLeave(t.name, t.definition, toTriggers.get(t.name), t, t.table)) leaving.add(t.name.toLowerCase());
    }
  }
  const fromViewNames = new Set(from.views.map((v) => v.name));
  const fromTriggerNames = new Set(from.triggers.map((t) => t.name));
  const dependsOn = (v: View) => [...identifiers(v.definition)];
  const early: PlanOperation[] = [];
  const late: PlanOperation[] = [];
  for (const t of from.triggers.filter((t) => leaving.has(t.name.toLowerCase()))) {
    const replaced = toTriggers.has(t.name);
    early.push(dropOp(namespace, 'trigger', t.name, t.definition, replaced));
  }
  const leavingViews = from.views.filter((v) => leaving.has(v.name.toLowerCase()));
  for (const v of dependencyOrder(leavingViews, (x) => x.name, dependsOn).reverse()) {
    early.push(dropOp(namespace, 'view', v.name, v.definition, toViews.has(v.name)));
  }
  const arriving = to.views.filter((v) => !fromViewNames.has(v.name) || leaving.has(v.name.toLowerCase()));
  for (const v of dependencyOrder(arriving, (x) => x.name, dependsOn)) {
    late.push(createOp(namespace, 'view', v.name, v.definition, fromViewNames.has(v.name)));
  }
  for (const t of to.triggers) {
    if (fromTriggerNames.has(t.name) && !leaving.has(t.name.toLowerCase())) continue;
    late.push(createOp(namespace, 'trigger', t.name, t.definition, fromTriggerNames.has(t.name)));
  }
  const keptTriggers = from.triggers.filter((t) => !leaving.has(t.name.toLowerCase()));
  const mentioned = new Set<string>();
  for (const x of [...from.views, ...keptTriggers]) {
    if (leaving.has(x.name.toLowerCase())) continue;
    for (const n of identifiers(x.definition)) mentioned.add(n);
  }
  return { early, late, keptTriggers, mentioned };
}

/** Dropping half of a replace (or a plain drop); undone by recreating the old text. */
function dropOp(namespace: string, kind: 'view' | 'trigger', name: string, definition: string, replaced: boolean) {
  return operation(namespace, {
    action: `${replaced ? 'replace' : 'drop'}-${kind}`,
    kind,
    name,
    up: [`DROP ${kind.toUpperCase()} ${quoteIdent(name)}`],
    down: [definition],
    risk: 'caution',
  });
}

/** Creating half of a replace (or a plain create); undone by dropping it. */
function createOp(namespace: string, kind: 'view' | 'trigger', name: string, definition: string, replaced: boolean) {
  return operation(namespace, {
    action: `${replaced ? 'replace' : 'create'}-${kind}`,
    kind,
    name,
    up: [definition],
    down: [`DROP ${kind.toUpperCase()} ${quoteIdent(name)}`],
    // A trigger changes what writes do; a view only adds a way to read.
    risk: kind === 'trigger' || replaced ? 'caution' : 'safe',
  });
}
