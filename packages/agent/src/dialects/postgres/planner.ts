import type { PlanOperation } from '@isotyp/protocol';
import type { Change } from '../../diff/changes.js';
import type { DialectPlanner, PlanContext } from '../../plan/dialect-planner.js';
import { buildContext } from './pg-context.js';
import { findDependents } from './pg-dependents.js';
import { dropOrder } from './pg-order.js';
import { emptyPhases, flatten } from './pg-phases.js';
import { planDefinitions } from './pg-plan-definitions.js';
import { planTables } from './pg-plan-tables.js';
import { type CleanupItem, planTypes, typeRecreations } from './pg-plan-types.js';
import { mentions } from './pg-sql.js';

/*
 * PostgreSQL alters tables in place and runs DDL in a transaction, so a plan is a sequence of
 * small operations in phases (pg-phases.ts): what goes away or must move out of the way first
 * (triggers, views, foreign keys, constraints, columns, tables), then what is created or
 * altered in dependency order (schemas, types, routines and tables, columns, constraints,
 * views, triggers, comments), then what could only go once nothing used it (routines, types,
 * schemas), and last the concurrent index builds that cannot run in a transaction.
 */

/**
 * The PostgreSQL planner: every kind of object introspection reads is created, altered or
 * replaced, and dropped, with a down for every operation that can be undone.
 *
 * @example
 * const { plan } = createPlan(live, desired, postgresPlanner, { concurrentIndexes: true });
 */
export const postgresPlanner: DialectPlanner = {
  plan: (changes, context) => planPostgres(changes, context),
};

function planPostgres(changes: Change[], context: PlanContext): PlanOperation[] {
  const ctx = buildContext(changes, context);
  const phases = emptyPhases();
  const recreated = typeRecreations(ctx);
  const deps = findDependents(ctx, recreated);
  const cleanup = planTypes(ctx, recreated, phases);
  planTables(ctx, deps, phases);
  planDefinitions(ctx, deps, phases, cleanup);
  phases.cleanup.push(...cleanupOrder(cleanup));
  return flatten(phases);
}

/**
 * Dependents first: a routine before the types its signature names, a domain before the enum
 * it is based on, everything in a schema before the schema.
 */
function cleanupOrder(items: CleanupItem[]): PlanOperation[] {
  // Overloaded routines share a name: keys carry the operation's object too.
  const key = (i: CleanupItem) => `${i.ns}\u0000${i.name}\u0000${i.op.object.name}`;
  const schemas = new Map(items.filter((i) => i.name === '').map((i) => [i.ns, key(i)]));
  const objects = items.filter((i) => i.name !== '');
  return dropOrder(
    items.map((i) => ({
      item: i.op,
      key: key(i),
      rank: i.rank,
      dependsOn:
        i.name === ''
          ? []
          : [
              ...(schemas.has(i.ns) ? [schemas.get(i.ns) as string] : []),
              ...objects.filter((o) => o !== i && o.name !== i.name && mentions(i.text, o.ns, o.name)).map(key),
            ],
    })),
  );
}
