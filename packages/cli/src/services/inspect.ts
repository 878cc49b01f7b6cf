import { type InspectResult, inspectTarget } from '@isotyp/agent';

export interface TableSummary {
  namespace: string;
  name: string;
  columns: number;
  primaryKey: string[];
  indexes: number;
  foreignKeys: number;
}

export interface InspectOutput extends InspectResult {
  tables: TableSummary[];
}

/** Inspects a target and adds a per-table summary for display. */
export async function inspect(target: string): Promise<InspectOutput> {
  const result = await inspectTarget(target);
  const tables = result.model.namespaces.flatMap((ns) =>
    ns.tables.map((t) => ({
      namespace: ns.name,
      name: t.name,
      columns: t.columns.length,
      primaryKey: t.primaryKey?.columns ?? [],
      indexes: t.indexes.length,
      foreignKeys: t.foreignKeys.length,
    })),
  );
  return { ...result, tables };
}
