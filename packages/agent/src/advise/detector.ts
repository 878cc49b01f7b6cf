import {
  type Index,
  type ObjectRef,
  type SchemaModel,
  type Suggestion,
  type SuggestionKind,
  suggestionScore,
  type Table,
} from '@isotyp/protocol';
import { nameTaken } from './check-edits.js';
import type { PostgresStatistics } from './statistics.js';

/** What every detector sees; all of it read at the site and never sent anywhere. */
export interface AdviceContext {
  model: SchemaModel;
  /** Approximate rows per table, keyed `namespace.table`. */
  rowCounts: ReadonlyMap<string, number>;
  /** PostgreSQL's own statistics, when the target is PostgreSQL. */
  statistics?: PostgresStatistics;
  /**
   * Per nullable column (`namespace.table.column`): rows and NULLs counted in the table. Only
   * when the person asked the advisor to read data (`--read-data`).
   */
  nullCounts?: ReadonlyMap<string, { rows: number; nulls: number }>;
  /** Days of statistics `mature-statistics` detectors wait for (default 7). */
  minStatisticsAgeDays?: number;
}

export interface Detector {
  kind: SuggestionKind;
  /** One line: what it finds and why it matters. */
  summary: string;
  /** Limits it to one dialect. */
  dialect?: SchemaModel['dialect'];
  /**
   * What it needs beyond the schema: PostgreSQL statistics (of some age, for conclusions drawn
   * from what did not happen), or reading the data (opt-in).
   */
  needs?: 'statistics' | 'mature-statistics' | 'data';
  detect(context: AdviceContext): Suggestion[];
}

/** A suggestion with its score computed from its impact, confidence and risk. */
export function suggest(fields: Omit<Suggestion, 'score' | 'source'>): Suggestion {
  const confidence = Math.round(fields.confidence * 100) / 100;
  return { ...fields, source: 'rule', confidence, score: suggestionScore({ ...fields, confidence }) };
}

export function ref(kind: ObjectRef['kind'], namespace: string, name: string): ObjectRef {
  return { kind, namespace, name };
}

/**
 * Every table with its namespace. Partitions of a partitioned table only with `partitions`: they
 * take their primary key from the parent (so a partition "without" one is not advice), but their
 * own foreign keys and indexes are theirs.
 */
export function* tablesOf(
  model: SchemaModel,
  options: { partitions?: boolean } = {},
): Generator<{ namespace: string; table: Table }> {
  for (const namespace of model.namespaces) {
    for (const table of namespace.tables) {
      if (options.partitions || !table.options.partitionOf) yield { namespace: namespace.name, table };
    }
  }
}

/**
 * True for an index attached to a partitioned parent's index: it cannot be dropped on its own,
 * so it is never the one a suggestion drops. Known from PostgreSQL's catalog.
 */
export function isAttached(context: AdviceContext, namespace: string, index: string): boolean {
  return context.statistics?.attachedIndexes.has(`${namespace}.${index}`) ?? false;
}

/** A plain b-tree index on `columns`, named after them, with a name free in its namespace. */
export function indexOn(model: SchemaModel, table: Table, columns: readonly string[]): Index {
  const limit = model.dialect === 'postgres' ? 63 : 128;
  const base = `${table.name}_${columns.join('_')}_idx`.slice(0, limit);
  const namespace = model.namespaces.find((n) => n.tables.includes(table));
  const taken = (name: string) => namespace !== undefined && nameTaken(namespace, name);
  let name = base;
  for (let n = 2; taken(name); n += 1) name = `${base.slice(0, limit - String(n).length - 1)}_${n}`;
  return {
    name,
    unique: false,
    keys: columns.map((column) => ({
      column,
      expression: null,
      order: 'asc' as const,
      nulls: null,
      collation: null,
      ...(model.dialect === 'postgres' ? { opclass: null } : {}),
    })),
    include: [],
    where: null,
    method: model.dialect === 'postgres' ? 'btree' : null,
    comment: null,
    ...(model.dialect === 'postgres' ? { nullsNotDistinct: false } : {}),
  };
}

/** Rows of a table (0 when unknown). */
export function rowsOf(context: AdviceContext, namespace: string, table: string): number {
  return context.rowCounts.get(`${namespace}.${table}`) ?? 0;
}
