import type { PlanOperation } from '@isotyp/protocol';

/*
 * The plan is assembled from phases, always concatenated in this order. Drops run first and
 * name objects as they are before the plan; creates and alters run after, naming them as they
 * will be. Within a phase, operations are appended in a deterministic order by the planner.
 */
export const PHASES = [
  /** Triggers that go away or must move out of the way. */
  'dropTriggers',
  /** Views that go away or must move out of the way (dependents first). */
  'dropViews',
  /** Routines whose signature names a type being recreated. */
  'dropRoutines',
  'dropForeignKeys',
  /** Primary keys, uniques, checks, exclusions, indexes; partitions detached, parents disowned. */
  'dropConstraints',
  /** Sequences released by columns or tables about to be dropped (which would drop them). */
  'disownSequences',
  'dropColumns',
  /** Tables, dependents (partitions, referencing tables) first. */
  'dropTables',
  'createSchemas',
  'createExtensions',
  /** Enums, domains and sequences created, altered or recreated. */
  'types',
  /** New routines and tables in dependency order (routines first where they can be). */
  'creates',
  /** Table renames, then per table: column renames, adds and alters, options. */
  'alterTables',
  /** Partitions attached and parents inherited once both sides have their final shape. */
  'attach',
  'addConstraints',
  'createIndexes',
  'addForeignKeys',
  /** Views, and routines that need a view, in dependency order. */
  'views',
  'triggers',
  'comments',
  /** OWNED BY, once the owning column exists. */
  'ownSequences',
  /** Routines, sequences, domains, enums, extensions and schemas that go away. */
  'cleanup',
  /** CREATE INDEX CONCURRENTLY: outside the transaction, after everything in it. */
  'concurrent',
] as const;

export type Phase = (typeof PHASES)[number];
export type Phases = Record<Phase, PlanOperation[]>;

export function emptyPhases(): Phases {
  return Object.fromEntries(PHASES.map((p) => [p, []])) as unknown as Phases;
}

export function flatten(phases: Phases): PlanOperation[] {
  return PHASES.flatMap((p) => phases[p]);
}
