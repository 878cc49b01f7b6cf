import type { Column, Table } from '@isotyp/protocol';
import type { ColumnProperty, RenameCandidate, RenameHint, TableChange } from './changes.js';
import { byKey, deepEqual, diffByName } from './match.js';

const COLUMN_PROPERTIES: ColumnProperty[] = [
  'type',
  'nullable',
  'notNullOnConflict',
  'default',
  'identity',
  'generated',
  'collation',
  'comment',
];

/** What differs between two versions of one table (matched by name or by a rename hint). */
export function diffTable(
  namespace: string,
  from: Table,
  to: Table,
  hints: RenameHint[],
  candidates: RenameCandidate[],
): TableChange[] {
  const changes: TableChange[] = [];
  const renamed = new Map<string, string>(); // old column → new column
  for (const hint of hints) {
    if (hint.kind !== 'column' || hint.table !== to.name || (hint.namespace ?? namespace) !== namespace) continue;
    if (from.columns.some((c) => c.name === hint.from) && to.columns.some((c) => c.name === hint.to)) {
      renamed.set(hint.from, hint.to);
    }
  }

  const fromColumns = byKey(from.columns, (c) => c.name);
  const toColumns = byKey(to.columns, (c) => c.name);
  const added: Column[] = [];
  const dropped: Column[] = [];
  for (const [name, column] of toColumns) {
    const oldName = [...renamed].find(([, now]) => now === name)?.[0];
    const old = fromColumns.get(oldName ?? name);
    if (old === undefined) {
      added.push(column);
      changes.push({ kind: 'add-column', column });
      continue;
    }
    if (oldName !== undefined) changes.push({ kind: 'rename-column', from: old, to: { ...old, name } });
    const properties = COLUMN_PROPERTIES.filter((p) => !deepEqual(old[p], column[p]));
    if (properties.length > 0) {
      changes.push({ kind: 'alter-column', from: { ...old, name }, to: column, properties });
    }
  }
  for (const [name, column] of fromColumns) {
    if (toColumns.has(name) || renamed.has(name)) continue;
    dropped.push(column);
    changes.push({ kind: 'drop-column', column });
  }
  for (const gone of dropped) {
    for (const now of added) {
      if (gone.type === now.type)
        candidates.push({ kind: 'column', namespace, table: to.name, from: gone.name, to: now.name });
    }
  }

  const renameColumns = (names: string[]) => names.map((n) => renamed.get(n) ?? n);
  const oldPk =
    from.primaryKey === null ? null : { ...from.primaryKey, columns: renameColumns(from.primaryKey.columns) };
  if (!deepEqual(oldPk, to.primaryKey))
    changes.push({ kind: 'set-primary-key', from: from.primaryKey, to: to.primaryKey });

  // Constraints and indexes cannot be altered in place: any difference is a drop and an add.
  // Column renames are applied to the old side first so a renamed column does not rebuild them.
  const withRenames = <T extends { columns: string[] }>(items: T[]) =>
    items.map((i) => ({ ...i, columns: renameColumns(i.columns) }));
  diffByName(withRenames(from.uniques), to.uniques, (u) => u.name, {
    create: (unique) => changes.push({ kind: 'add-unique', unique }),
    drop: (unique) => changes.push({ kind: 'drop-unique', unique }),
    change: (a, b) => changes.push({ kind: 'drop-unique', unique: a }, { kind: 'add-unique', unique: b }),
  });
  const oldIndexes = from.indexes.map((i) => ({
    ...i,
    keys: i.keys.map((k) => ({ ...k, column: k.column === null ? null : (renamed.get(k.column) ?? k.column) })),
    include: renameColumns(i.include),
  }));
  diffByName(oldIndexes, to.indexes, (i) => i.name, {
    create: (index) => changes.push({ kind: 'add-index', index }),
    drop: (index) => changes.push({ kind: 'drop-index', index }),
    change: (a, b) => changes.push({ kind: 'drop-index', index: a }, { kind: 'add-index', index: b }),
  });
  diffByName(withRenames(from.foreignKeys), to.foreignKeys, (f) => f.name, {
    create: (foreignKey) => changes.push({ kind: 'add-foreign-key', foreignKey }),
    drop: (foreignKey) => changes.push({ kind: 'drop-foreign-key', foreignKey }),
    change: (a, b) =>
      changes.push({ kind: 'drop-foreign-key', foreignKey: a }, { kind: 'add-foreign-key', foreignKey: b }),
  });
  diffByName(from.checks, to.checks, (c) => c.name, {
    create: (check) => changes.push({ kind: 'add-check', check }),
    drop: (check) => changes.push({ kind: 'drop-check', check }),
    change: (a, b) => changes.push({ kind: 'drop-check', check: a }, { kind: 'add-check', check: b }),
  });
  if (!deepEqual(from.options, to.options)) changes.push({ kind: 'set-options', from: from.options, to: to.options });
  if (from.comment !== to.comment) changes.push({ kind: 'set-comment', from: from.comment, to: to.comment });
  return changes;
}
