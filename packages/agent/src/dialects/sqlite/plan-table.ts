import { type Index, IsotypError, type PlanOperation, type Table } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { asRenamed, normalise, planInPlace, type Surroundings } from './in-place.js';
import { columnStepOp, createIndexOp, dropIndexOp, operation, renameTableOp } from './operations.js';
import { narrows, rebuildStatements } from './rebuild.js';

export interface TableRename {
  from: string;
  to: string;
  op: PlanOperation;
}

/** The operations for one table that exists before and after, grouped by plan phase. */
export interface TablePlan {
  rename: TableRename | null;
  dropIndexes: PlanOperation[];
  alter: PlanOperation[];
  createIndexes: PlanOperation[];
}

/**
 * Plans one table: a rename first (ALTER TABLE … RENAME TO, legacy mode), then either ALTER
 * TABLE steps with separate index operations, or one rebuild that also recreates the table's
 * indexes and its unchanged triggers. `triggers` are the CREATE texts of those triggers.
 */
export function planTable(
  ns: string,
  from: Table,
  to: Table,
  columnRenames: ReadonlyMap<string, string>,
  around: Surroundings,
  triggers: string[],
  /** The table each index of the current schema is on (index names are schema-wide). */
  indexOwners: ReadonlyMap<string, string>,
): TablePlan {
  const result: TablePlan = { rename: null, dropIndexes: [], alter: [], createIndexes: [] };
  let current = from;
  let exact = true;
  if (from.name !== to.name) {
    result.rename = { from: from.name, to: to.name, op: renameTableOp(ns, from.name, to.name) };
    ({ table: current, exact } = asRenamed(from, to.name));
  }
  if (exact && deepEqual(current, normalise(to))) return result;

  // Indexes that stay: same name and definition once renamed columns are followed.
  const kept = current.indexes.filter((index) =>
    to.indexes.some((wanted) => deepEqual(wanted, followRenames(index, columnRenames))),
  );
  const steps = exact ? planInPlace({ ...current, indexes: kept }, to, columnRenames, around) : null;
  if (steps !== null) {
    // Index drops run before any rename, so they name the table and columns as they were.
    result.dropIndexes = from.indexes
      .filter((i) => !kept.some((k) => k.name === i.name))
      .map((i) => dropIndexOp(ns, from, i));
    result.alter = steps.map((step) => columnStepOp(ns, to, step));
    result.createIndexes = to.indexes
      .filter((i) => !kept.some((k) => deepEqual(i, followRenames(k, columnRenames))))
      .map((i) => createIndexOp(ns, to, i));
    return result;
  }
  // An index name another table still holds is created after every table change instead.
  const moved = to.indexes.filter((i) => (indexOwners.get(i.name.toLowerCase()) ?? from.name) !== from.name);
  const rebuilt = { ...to, indexes: to.indexes.filter((i) => !moved.includes(i)) };
  result.alter = [rebuildOp(ns, current, rebuilt, columnRenames, triggers)];
  result.createIndexes = moved.map((i) => createIndexOp(ns, to, i));
  return result;
}

function rebuildOp(
  ns: string,
  from: Table,
  to: Table,
  columnRenames: ReadonlyMap<string, string>,
  triggers: string[],
): PlanOperation {
  const sources = new Map<string, string>();
  for (const column of to.columns) {
    const old = [...columnRenames].find(([, now]) => now === column.name)?.[0] ?? column.name;
    if (from.columns.some((c) => c.name === old)) sources.set(column.name, old);
  }
  const up = rebuildStatements({ from, to, sources, triggers });
  if (!Array.isArray(up)) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `Column ${up.table}.${up.column} is NOT NULL without a default, so the existing rows of ${up.table} have no value for it.`,
      {
        hint: 'Give the column a DEFAULT, allow NULL, or add it nullable, fill it, then make it NOT NULL.',
        details: { table: up.table, column: up.column },
      },
    );
  }
  const back = new Map([...sources].map(([now, old]) => [old, now]));
  // Like DROP COLUMN, a rebuild that leaves a column behind cannot give its values back; a
  // reverse rebuild would refill it with its default, which may not even satisfy its UNIQUE.
  const lost = from.columns.filter((c) => c.generated === null && !back.has(c.name)).map((c) => c.name);
  const down =
    lost.length > 0
      ? {
          irreversible: `rebuilding ${to.name} discards the values of ${lost.map((c) => `${from.name}.${c}`).join(', ')}`,
        }
      : reverseRebuild(from, to, back, triggers);
  const narrowed = to.columns.some((c) => {
    const old = from.columns.find((o) => o.name === sources.get(c.name));
    return old !== undefined && narrows(old, c);
  });
  const dataLoss = lost.length > 0 || narrowed;
  return operation(ns, {
    action: 'rebuild-table',
    kind: 'table',
    name: to.name,
    up,
    down,
    risk: dataLoss ? 'destructive' : 'caution',
    lock: 'exclusive',
    dataLoss,
  });
}

/** The rebuild back to the old shape, for the down statements. */
function reverseRebuild(
  from: Table,
  to: Table,
  back: ReadonlyMap<string, string>,
  triggers: string[],
): string[] | { irreversible: string } {
  const down = rebuildStatements({ from: to, to: from, sources: back, triggers });
  return Array.isArray(down)
    ? down
    : { irreversible: `restoring ${down.table}.${down.column} needs values the rebuild does not keep` };
}

function followRenames(index: Index, renames: ReadonlyMap<string, string>): Index {
  return {
    ...index,
    keys: index.keys.map((k) => (k.column === null ? k : { ...k, column: renames.get(k.column) ?? k.column })),
  };
}
