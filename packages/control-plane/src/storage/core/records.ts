import { IsotypError } from '@isotyp/protocol';
import type { AuditEntryRecord, RoleGrantRecord, SchemaVersionRecord, Scope } from '../store.js';
import type { Rows, Stored, TableName } from './rows.js';

/*
 * Row ↔ record mapping, shared by both dialects. Most records are their rows with NULL columns
 * left out (`present`); only the grant's scope and the version history's surrogate id differ.
 */

/**
 * The record form of a row: NULL columns become absent fields, so records compare equal. (JSON
 * columns are NOT NULL and a JSON `null` is refused on insert, so no JSON value is dropped; the
 * one nullable JSON column, `suggestions.draft`, holds an object when set.)
 */
export function present<K extends TableName>(row: Rows[K]): Stored[K] {
  return Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null)) as Stored[K];
}

/**
 * Rows a dialect's drizzle select returned for table K, as records. The rows are typed loosely
 * there (the runners address tables by name); `SameRows` in each runner proves they are `Rows[K]`.
 */
export function recordsOf<K extends TableName>(rows: unknown[]): Stored[K][] {
  return (rows as Rows[K][]).map((row) => present<K>(row));
}

export function toGrant(row: Stored['roleGrants']): RoleGrantRecord {
  const { scopeKind, projectId, environmentId, ...rest } = row;
  return { ...rest, scope: toScope(scopeKind, projectId, environmentId) };
}

export function grantValues(grant: RoleGrantRecord): Stored['roleGrants'] {
  const { scope, ...rest } = grant;
  switch (scope.kind) {
    case 'org':
      return { ...rest, scopeKind: 'org' };
    case 'project':
      return { ...rest, scopeKind: 'project', projectId: scope.projectId };
    case 'environment':
      return { ...rest, scopeKind: 'environment', projectId: scope.projectId, environmentId: scope.environmentId };
    default:
      return unreachable(scope);
  }
}

function toScope(kind: Scope['kind'], projectId: string | undefined, environmentId: string | undefined): Scope {
  // The columns are NOT NULL for the kinds that need them (a CHECK in both schemas).
  switch (kind) {
    case 'org':
      return { kind };
    case 'project':
      return { kind, projectId: projectId ?? '' };
    case 'environment':
      return { kind, projectId: projectId ?? '', environmentId: environmentId ?? '' };
    default:
      return unreachable(kind);
  }
}

/** The history row without its surrogate id (the select returns it; the record has no such field). */
export function toSchemaVersion(row: SchemaVersionRecord & { id?: number }): SchemaVersionRecord {
  const { id: _insertionOrder, ...record } = row;
  return record;
}

/** The caller's entry for `seq`; one built for another seq would break the log's hashes. */
export function auditEntryAt(build: (seq: number) => AuditEntryRecord, seq: number): AuditEntryRecord {
  const entry = build(seq);
  if (entry.seq !== seq) {
    throw new IsotypError('ISOTYP_INTERNAL', `An audit entry built for seq ${seq} carries seq ${entry.seq}.`);
  }
  return entry;
}

function unreachable(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
