import { IsotypError, type Namespace, type SchemaModel, type Table } from '@isotyp/protocol';
import { emptyNamespace } from '../schema/empty.js';
import type { Change, DiffResult, RenameCandidate, RenameHint } from './changes.js';
import { diffTable } from './diff-table.js';
import { byKey, diffByName } from './match.js';

export interface DiffOptions {
  /** Objects the user says were renamed: planned as renames that keep their data. */
  renames?: RenameHint[];
}

/**
 * Compares a current and a desired schema model of the same dialect and lists what differs.
 * Objects are matched by name; anything that cannot be altered in place is a drop plus a
 * create. Drop/add pairs that look like renames are reported as candidates, and become renames
 * only when a hint says so.
 *
 * @example
 * const { changes, renameCandidates } = diffSchemas(live, desired);
 */
export function diffSchemas(from: SchemaModel, to: SchemaModel, options: DiffOptions = {}): DiffResult {
  if (from.dialect !== to.dialect) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `Cannot compare a ${from.dialect} schema with a ${to.dialect} one.`, {
      hint: 'Load the desired state into a database of the same dialect as the target.',
    });
  }
  const changes: Change[] = [];
  const renameCandidates: RenameCandidate[] = [];
  const renames = options.renames ?? [];
  const fromNs = byKey(from.namespaces, (n) => n.name);
  const toNs = byKey(to.namespaces, (n) => n.name);

  for (const [name, ns] of toNs) {
    const old = fromNs.get(name);
    if (old === undefined) {
      changes.push({ kind: 'create-namespace', namespace: ns });
      diffNamespace(emptyNamespace(name), ns, renames, changes, renameCandidates);
    } else {
      diffNamespace(old, ns, renames, changes, renameCandidates);
      if (old.comment !== ns.comment) {
        changes.push({ kind: 'set-namespace-comment', namespace: name, from: old.comment, to: ns.comment });
      }
    }
  }
  for (const [name, ns] of fromNs) {
    if (toNs.has(name)) continue;
    diffNamespace(ns, emptyNamespace(name), renames, changes, renameCandidates);
    changes.push({ kind: 'drop-namespace', namespace: ns });
  }
  return { from, to, changes, renameCandidates };
}

function diffNamespace(
  from: Namespace,
  to: Namespace,
  hints: RenameHint[],
  changes: Change[],
  candidates: RenameCandidate[],
): void {
  const ns = to.name;
  const renamedTables = new Map<string, string>(); // old name → new name
  for (const hint of hints) {
    if (hint.kind !== 'table' || (hint.namespace ?? ns) !== ns) continue;
    const old = from.tables.find((t) => t.name === hint.from);
    const now = to.tables.find((t) => t.name === hint.to);
    if (old === undefined || now === undefined || to.tables.some((t) => t.name === hint.from)) {
      throw new IsotypError(
        'ISOTYP_INVALID_INPUT',
        `Rename hint ${hint.from} → ${hint.to} does not match the schemas.`,
        {
          hint: `The current schema must have table ${hint.from} and the desired one ${hint.to} (and not ${hint.from}).`,
        },
      );
    }
    renamedTables.set(old.name, now.name);
  }

  const fromTables = byKey(from.tables, (t) => t.name);
  const toTables = byKey(to.tables, (t) => t.name);
  const created: Table[] = [];
  const dropped: Table[] = [];
  for (const [name, table] of toTables) {
    const renamedFrom = [...renamedTables].find(([, now]) => now === name)?.[0];
    const old = renamedFrom === undefined ? fromTables.get(name) : fromTables.get(renamedFrom);
    if (old === undefined) {
      created.push(table);
      changes.push({ kind: 'create-table', namespace: ns, table });
      continue;
    }
    if (renamedFrom !== undefined) changes.push({ kind: 'rename-table', namespace: ns, from: old, to: table });
    const tableChanges = diffTable(ns, old, table, hints, candidates);
    if (tableChanges.length > 0)
      changes.push({ kind: 'alter-table', namespace: ns, from: old, to: table, changes: tableChanges });
  }
  for (const [name, table] of fromTables) {
    if (toTables.has(name) || renamedTables.has(name)) continue;
    dropped.push(table);
    changes.push({ kind: 'drop-table', namespace: ns, table });
  }
  for (const gone of dropped) {
    for (const added of created) {
      if (sameShape(gone, added))
        candidates.push({ kind: 'table', namespace: ns, table: null, from: gone.name, to: added.name });
    }
  }

  diffByName(from.views, to.views, (v) => v.name, {
    create: (view) => changes.push({ kind: 'create-view', namespace: ns, view }),
    drop: (view) => changes.push({ kind: 'drop-view', namespace: ns, view }),
    change: (a, b) => changes.push({ kind: 'replace-view', namespace: ns, from: a, to: b }),
  });
  diffByName(from.enums, to.enums, (e) => e.name, {
    create: (type) => changes.push({ kind: 'create-enum', namespace: ns, type }),
    drop: (type) => changes.push({ kind: 'drop-enum', namespace: ns, type }),
    change: (a, b) => {
      // Appending or inserting values is ALTER TYPE … ADD VALUE; removing or reordering is not.
      if (isSubsequence(a.values, b.values) && a.comment === b.comment) {
        changes.push({ kind: 'add-enum-values', namespace: ns, from: a, to: b });
      } else {
        changes.push({ kind: 'drop-enum', namespace: ns, type: a }, { kind: 'create-enum', namespace: ns, type: b });
      }
    },
  });
  diffByName(from.domains, to.domains, (d) => d.name, {
    create: (domain) => changes.push({ kind: 'create-domain', namespace: ns, domain }),
    drop: (domain) => changes.push({ kind: 'drop-domain', namespace: ns, domain }),
    change: (a, b) => changes.push({ kind: 'alter-domain', namespace: ns, from: a, to: b }),
  });
  diffByName(from.sequences, to.sequences, (s) => s.name, {
    create: (sequence) => changes.push({ kind: 'create-sequence', namespace: ns, sequence }),
    drop: (sequence) => changes.push({ kind: 'drop-sequence', namespace: ns, sequence }),
    change: (a, b) => changes.push({ kind: 'alter-sequence', namespace: ns, from: a, to: b }),
  });
  diffByName(from.routines, to.routines, (r) => `${r.name}(${r.arguments})`, {
    create: (routine) => changes.push({ kind: 'create-routine', namespace: ns, routine }),
    drop: (routine) => changes.push({ kind: 'drop-routine', namespace: ns, routine }),
    change: (a, b) => changes.push({ kind: 'replace-routine', namespace: ns, from: a, to: b }),
  });
  diffByName(from.triggers, to.triggers, (t) => `${t.table}.${t.name}`, {
    create: (trigger) => changes.push({ kind: 'create-trigger', namespace: ns, trigger }),
    drop: (trigger) => changes.push({ kind: 'drop-trigger', namespace: ns, trigger }),
    change: (a, b) => changes.push({ kind: 'replace-trigger', namespace: ns, from: a, to: b }),
  });
}

function isSubsequence(short: string[], long: string[]): boolean {
  let i = 0;
  for (const value of long) if (value === short[i]) i++;
  return i === short.length;
}

/** Two tables whose columns have the same names and types: probably one table renamed. */
function sameShape(a: Table, b: Table): boolean {
  const shape = (t: Table) => t.columns.map((c) => `${c.name}:${c.type}`).join(',');
  return a.columns.length > 0 && shape(a) === shape(b);
}
