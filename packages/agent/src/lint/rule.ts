import type { LintFinding, ObjectRef, PlanOperation, SchemaModel, Table } from '@isotyp/protocol';
import type { Change, TableChange } from '../diff/changes.js';

export type Severity = LintFinding['severity'];

/** What every rule sees: both models, the changes between them and the planned operations. */
export interface LintContext {
  dialect: SchemaModel['dialect'];
  from: SchemaModel;
  to: SchemaModel;
  changes: Change[];
  ops: PlanOperation[];
  /** Approximate row counts of live tables (`namespace.table`), read locally; absent when unknown. */
  rowCounts: ReadonlyMap<string, number>;
}

export interface RawFinding {
  object: ObjectRef;
  /** One sentence about this occurrence. */
  message: string;
}

export interface LintRule {
  /** Stable code, e.g. `destructive/drop-table`. Never renamed. */
  code: string;
  severity: Severity;
  /** One line: what the rule catches and why it matters. */
  summary: string;
  /** Limits the rule to one dialect. */
  dialect?: SchemaModel['dialect'];
  check(context: LintContext): RawFinding[];
}

/** Every `alter-table` change with each of its table changes, flattened for rules. */
export function* tableChanges(
  context: LintContext,
): Generator<{ namespace: string; table: Table; from: Table; change: TableChange }> {
  for (const change of context.changes) {
    if (change.kind !== 'alter-table') continue;
    for (const inner of change.changes)
      yield { namespace: change.namespace, table: change.to, from: change.from, change: inner };
  }
}

export function ref(kind: ObjectRef['kind'], namespace: string, name: string): ObjectRef {
  return { kind, namespace, name };
}

/** True when the table exists (and so may hold rows) before the change. */
export function existedBefore(context: LintContext, namespace: string, table: string): boolean {
  return context.from.namespaces.some((ns) => ns.name === namespace && ns.tables.some((t) => t.name === table));
}

/** Known row count for a table, when the live database reported one. */
export function rowsOf(context: LintContext, namespace: string, table: string): number | undefined {
  return context.rowCounts.get(`${namespace}.${table}`);
}
