import type { PlanOperation, Table } from '@isotyp/protocol';
import { type PgContext, tableKey } from './pg-context.js';
import { dependencyOrder } from './pg-order.js';
import type { Phases } from './pg-phases.js';
import { createTableNode, tableDependencies } from './pg-plan-tables.js';
import { mentions } from './pg-sql.js';

/*
 * The order new objects are created in. New routines and tables form one graph (a table's
 * default may call a function; a function may return a table's row type), created before
 * tables are altered; views, with any routine that needs a view, form a second graph created
 * after every table change. Dependencies are read from the texts: a definition that names an
 * object needs it.
 */

export interface Definition {
  ns: string;
  name: string;
  /** The text whose mentions are this object's dependencies. */
  text: string;
  ops: PlanOperation[];
  /** Tables only look for the routines they call: thousands of new tables stay cheap. */
  kind: 'table' | 'routine' | 'view';
}

function tableText(table: Table): string {
  const parts = table.columns.flatMap((c) => [c.type, c.default ?? '', c.generated?.expression ?? '']);
  parts.push(...table.checks.map((c) => c.expression), ...(table.exclusions ?? []).map((x) => x.definition));
  if (typeof table.options.partitionBy === 'string') parts.push(table.options.partitionBy);
  return parts.join('\n');
}

/**
 * Routines that name a view being created wait for it, in the view graph; the rest go with the
 * new tables, before them unless they need one (rank 0 against the tables' 1).
 */
export function orderCreates(ctx: PgContext, routines: Definition[], views: Definition[], phases: Phases): void {
  const late = new Set<Definition>();
  for (let size = -1; size !== late.size; ) {
    size = late.size;
    for (const r of routines) {
      if ([...views, ...late].some((d) => d !== r && mentions(r.text, d.ns, d.name))) late.add(r);
    }
  }
  const tables: Definition[] = ctx.created.map(({ ns, table }) => ({
    ns,
    name: table.name,
    text: tableText(table),
    ops: [createTableNode(ctx, ns, table, phases)],
    kind: 'table',
  }));
  const early = [...routines.filter((r) => !late.has(r)), ...tables];
  const parents = new Map(
    ctx.created.map(({ ns, table }) => [tableKey(ns, table.name), tableDependencies(ns, table, false)]),
  );
  phases.creates.push(...graph(early, (d) => parents.get(tableKey(d.ns, d.name)) ?? []).flat());
  phases.views.push(...graph([...views, ...late], () => []).flat());
}

function graph(items: Definition[], extra: (d: Definition) => string[]): PlanOperation[][] {
  const key = (d: Definition) => `${d.ns}\u0000${d.name}\u0000${d.ops[0]?.object.name ?? ''}`;
  const byName = new Map<string, string[]>();
  for (const d of items) {
    const k = tableKey(d.ns, d.name);
    byName.set(k, [...(byName.get(k) ?? []), key(d)]);
  }
  return dependencyOrder(
    items.map((d) => ({
      item: d.ops,
      key: key(d),
      rank: d.kind === 'table' ? 1 : 0,
      dependsOn: [
        ...items
          // Overloads share a name, and a routine's header names itself.
          .filter((o) => (o.ns !== d.ns || o.name !== d.name) && (d.kind !== 'table' || o.kind === 'routine'))
          .filter((o) => mentions(d.text, o.ns, o.name))
          .map(key),
        ...extra(d).flatMap((k) => byName.get(k) ?? []),
      ],
    })),
  );
}
