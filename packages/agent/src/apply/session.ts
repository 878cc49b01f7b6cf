import type { Digest, Plan, SchemaModel } from '@isotyp/protocol';

/**
 * One row of the history Isotyp keeps inside each target (`isotyp_history` in SQLite,
 * `isotyp.history` in PostgreSQL).
 */
export interface HistoryRecord {
  id: number;
  /** `up` applies a plan; `down` rolls one back. */
  direction: 'up' | 'down';
  planDigest: Digest<'plan'>;
  fromDigest: Digest<'schema'>;
  toDigest: Digest<'schema'>;
  fromVersion: string;
  toVersion: string;
  /** The whole plan as applied, down statements included, so a rollback needs nothing else. */
  plan: Plan;
  /** The schema model the change left the target in: what drift is measured against. */
  model: SchemaModel;
  /** For `down` rows, the id of the row rolled back. */
  revertsId: number | null;
  /** Set on an `up` row once it has been rolled back. */
  revertedById: number | null;
  actor: string;
  appliedAt: string;
  durationMs: number;
}

export type NewHistoryRecord = Omit<HistoryRecord, 'id' | 'revertedById'>;

/** Which run of a plan a step belongs to: applying it, or rolling it back. */
export interface StepKey {
  planDigest: Digest<'plan'>;
  direction: 'up' | 'down';
}

/**
 * One operation that ran outside the change's transaction, as the target's step log has it.
 * The log of a run exists only between its first commit and the history row that ends it, so a
 * run that finds one was interrupted and resumes from it.
 */
export interface StepRecord {
  /** The operation's index in run order (plan order up, reverse plan order down). */
  opIndex: number;
  status: 'started' | 'done';
  /** The live schema digest when the step started (`started`) or finished (`done`). */
  digest: Digest<'schema'>;
}

export interface StepStart extends StepKey {
  opIndex: number;
  /** The live schema digest before the step, recorded so a resumed run can check nothing moved. */
  digestBefore: Digest<'schema'>;
  /** Statements of the run before this step, so an error names the statement's place in the plan. */
  offset: number;
}

/**
 * What the apply logic needs from a target while it holds the target's lock. Every call made
 * inside `withChange` sees and changes the database under that lock, in one transaction where
 * the dialect allows it.
 */
export interface TargetSession {
  introspect(): Promise<SchemaModel>;
  /** Runs statements in the change's transaction; `offset` (default 0) numbers them in errors. */
  run(statements: readonly string[], offset?: number): Promise<void>;
  /**
   * Runs an operation that cannot run inside a transaction (PostgreSQL's CREATE INDEX
   * CONCURRENTLY): commits the change so far together with the step marked started, runs the
   * statements one by one outside any transaction, marks the step done with the digest it left,
   * and returns inside a new transaction, still under the lock. A dialect whose DDL is all
   * transactional may simply run the statements in the change's transaction.
   */
  runOutsideTransaction(statements: readonly string[], step: StepStart): Promise<void>;
  /** The step log of an interrupted run of this plan, in op order; empty when there is none. */
  steps(key: StepKey): Promise<StepRecord[]>;
  /**
   * Undoes what an interrupted run of these non-transactional statements can leave behind, so
   * they can run again: a CREATE INDEX CONCURRENTLY cut short leaves an INVALID index.
   */
  prepareRetry(statements: readonly string[]): Promise<void>;
  /** The newest `up` row not yet rolled back, if any. */
  latestApplied(): Promise<HistoryRecord | undefined>;
  /** The newest row of either direction, for drift and versions. */
  latest(): Promise<HistoryRecord | undefined>;
  /** Adds a history row; it ends the run, so it also clears the run's step log (same transaction). */
  record(row: NewHistoryRecord): Promise<number>;
  markReverted(id: number, byId: number): Promise<void>;
}

export interface ChangeRunner {
  readonly dialect: SchemaModel['dialect'];
  /** Takes the target lock, runs `work`, commits when it returns and rolls back when it throws. */
  withChange<T>(work: (session: TargetSession) => Promise<T>): Promise<T>;
  /** Read-only access without the lock (inspect, drift, status). */
  read<T>(work: (session: Pick<TargetSession, 'introspect' | 'latest' | 'latestApplied'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
