import type { Column, ForeignKey, Index, Namespace, SchemaModel, Table, View } from '@isotyp/protocol';

/*
 * What differs between two schema models, before any SQL exists (Atlas's `schema.Change`).
 * The differ produces these; each dialect's planner turns them into ordered operations.
 */

type Unique = Table['uniques'][number];
type Check = Table['checks'][number];
type EnumType = Namespace['enums'][number];
type Domain = Namespace['domains'][number];
type Sequence = Namespace['sequences'][number];
type Routine = Namespace['routines'][number];
type Trigger = Namespace['triggers'][number];

/** Which properties of a column differ. */
export type ColumnProperty =
  | 'type'
  | 'nullable'
  | 'notNullOnConflict'
  | 'default'
  | 'identity'
  | 'generated'
  | 'collation'
  | 'comment';

export type TableChange =
  | { kind: 'add-column'; column: Column }
  | { kind: 'drop-column'; column: Column }
  | { kind: 'rename-column'; from: Column; to: Column }
  | { kind: 'alter-column'; from: Column; to: Column; properties: ColumnProperty[] }
  | { kind: 'set-primary-key'; from: Table['primaryKey']; to: Table['primaryKey'] }
  | { kind: 'add-unique'; unique: Unique }
  | { kind: 'drop-unique'; unique: Unique }
  | { kind: 'add-index'; index: Index }
  | { kind: 'drop-index'; index: Index }
  | { kind: 'add-foreign-key'; foreignKey: ForeignKey }
  | { kind: 'drop-foreign-key'; foreignKey: ForeignKey }
  | { kind: 'add-check'; check: Check }
  | { kind: 'drop-check'; check: Check }
  | { kind: 'set-options'; from: Table['options']; to: Table['options'] }
  | { kind: 'set-comment'; from: string | null; to: string | null };

export type Change =
  | { kind: 'create-namespace'; namespace: Namespace }
  | { kind: 'drop-namespace'; namespace: Namespace }
  | { kind: 'create-table'; namespace: string; table: Table }
  | { kind: 'drop-table'; namespace: string; table: Table }
  | { kind: 'rename-table'; namespace: string; from: Table; to: Table }
  | { kind: 'alter-table'; namespace: string; from: Table; to: Table; changes: TableChange[] }
  | { kind: 'create-view'; namespace: string; view: View }
  | { kind: 'drop-view'; namespace: string; view: View }
  | { kind: 'replace-view'; namespace: string; from: View; to: View }
  | { kind: 'create-enum'; namespace: string; type: EnumType }
  | { kind: 'drop-enum'; namespace: string; type: EnumType }
  /** Values only appended or inserted, none removed or reordered: ALTER TYPE … ADD VALUE. */
  | { kind: 'add-enum-values'; namespace: string; from: EnumType; to: EnumType }
  | { kind: 'create-domain'; namespace: string; domain: Domain }
  | { kind: 'drop-domain'; namespace: string; domain: Domain }
  | { kind: 'alter-domain'; namespace: string; from: Domain; to: Domain }
  | { kind: 'create-sequence'; namespace: string; sequence: Sequence }
  | { kind: 'drop-sequence'; namespace: string; sequence: Sequence }
  | { kind: 'alter-sequence'; namespace: string; from: Sequence; to: Sequence }
  | { kind: 'create-routine'; namespace: string; routine: Routine }
  | { kind: 'drop-routine'; namespace: string; routine: Routine }
  | { kind: 'replace-routine'; namespace: string; from: Routine; to: Routine }
  | { kind: 'create-trigger'; namespace: string; trigger: Trigger }
  | { kind: 'drop-trigger'; namespace: string; trigger: Trigger }
  | { kind: 'replace-trigger'; namespace: string; from: Trigger; to: Trigger }
  | { kind: 'set-namespace-comment'; namespace: string; from: string | null; to: string | null };

/** A drop and an add that look like one object renamed; planned as drop + add unless hinted. */
export interface RenameCandidate {
  kind: 'table' | 'column';
  namespace: string;
  /** For columns, the table they belong to (in the desired state). */
  table: string | null;
  from: string;
  to: string;
}

/** Tells the differ that an object was renamed, so its data is kept. */
export interface RenameHint {
  kind: 'table' | 'column';
  namespace?: string;
  table?: string;
  from: string;
  to: string;
}

export interface DiffResult {
  from: SchemaModel;
  to: SchemaModel;
  changes: Change[];
  renameCandidates: RenameCandidate[];
}
