import type { PlanOperation, SchemaModel } from '@isotyp/protocol';
import type { Change } from '../diff/changes.js';

export interface PlanOptions {
  /** PostgreSQL: build new indexes with CREATE INDEX CONCURRENTLY, outside the transaction. */
  concurrentIndexes?: boolean;
}

export interface PlanContext {
  from: SchemaModel;
  to: SchemaModel;
  options: PlanOptions;
}

/**
 * Turns a dialect's changes into operations, in the order they must run. Each dialect owns its
 * ordering because what it can do in place differs (SQLite folds most table changes into one
 * rebuild; PostgreSQL alters in place and must drop dependent views around type changes).
 */
export interface DialectPlanner {
  plan(changes: Change[], context: PlanContext): PlanOperation[];
}
