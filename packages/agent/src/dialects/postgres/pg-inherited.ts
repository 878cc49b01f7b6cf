import type { Column } from '@isotyp/protocol';
import type { ColumnProperty } from '../../diff/changes.js';
import { type PgContext, pairOfFrom, type TablePair } from './pg-context.js';
import { splitNameList, splitQualified } from './pg-sql.js';

/*
 * Partitions and inheritance children follow their parent: ADD, DROP and RENAME COLUMN, and
 * ALTER COLUMN TYPE / SET DEFAULT / SET NOT NULL on the parent recurse into them, and doing it
 * again on the child fails ("cannot alter inherited column"). The differ reports the child's
 * columns changing too, so a child's columns are planned from where the parent's statements
 * leave them: nothing to do when the child wants the same, a fix-up when it wants otherwise
 * (a partition keeping the NOT NULL its parent drops, or a default of its own).
 */

export interface Inherited {
  renames(from: string, to: string): boolean;
  drops(column: string): boolean;
  /**
   * Column `name` as the parent's ADD or ALTER COLUMN leaves it on this child (`before` is the
   * child's column before the plan, under its new name), or undefined when the parent leaves it.
   */
  recursed(name: string, before: Column | undefined): Column | undefined;
  /** Columns (desired names) the parent adds or alters. */
  touched: string[];
}

const NOTHING: Inherited = {
  renames: () => false,
  drops: () => false,
  recursed: () => undefined,
  touched: [],
};

/** What ALTER COLUMN on a parent changes on its children too. */
const RECURSING: ColumnProperty[] = ['type', 'collation', 'nullable', 'default'];

/** The parent a child follows before and after the plan, when it is the same kept table. */
function parentPair(ctx: PgContext, pair: TablePair): TablePair | undefined {
  const parentOf = (options: TablePair['from']['options']) => {
    const text =
      typeof options.partitionOf === 'string'
        ? options.partitionOf
        : typeof options.inherits === 'string'
          ? splitNameList(options.inherits)[0]
          : undefined;
    return text === undefined ? undefined : splitQualified(text, pair.ns);
  };
  const before = parentOf(pair.from.options);
  const after = parentOf(pair.to.options);
  if (before === undefined || after === undefined) return undefined;
  const parent = pairOfFrom(ctx, before.namespace, before.name);
  return parent !== undefined && parent.ns === after.namespace && parent.to.name === after.name ? parent : undefined;
}

export function inheritedChanges(ctx: PgContext, pair: TablePair): Inherited {
  const parent = parentPair(ctx, pair);
  if (parent === undefined) return NOTHING;
  const renamed = new Map<string, string>();
  const added = new Map<string, Column>();
  const dropped = new Set<string>();
  const altered = new Map<string, { from: Column; to: Column; properties: ColumnProperty[] }>();
  for (const c of parent.changes) {
    if (c.kind === 'rename-column') renamed.set(c.from.name, c.to.name);
    if (c.kind === 'add-column') added.set(c.column.name, c.column);
    if (c.kind === 'drop-column') dropped.add(c.column.name);
    if (c.kind === 'alter-column') altered.set(c.to.name, { from: c.from, to: c.to, properties: c.properties });
  }
  return {
    renames: (from, to) => renamed.get(from) === to,
    // Without a hint for the child, the differ sees the parent's rename there as a drop and an add.
    drops: (column) => dropped.has(column) || renamed.has(column),
    recursed(name, before) {
      const add = added.get(name);
      if (add !== undefined) return { ...add, comment: null };
      const old = [...renamed].find(([, now]) => now === name)?.[0];
      if (before === undefined && old !== undefined) {
        const column = pair.from.columns.find((c) => c.name === old);
        return column === undefined ? undefined : { ...column, name };
      }
      const change = altered.get(name);
      if (change === undefined || before === undefined) return undefined;
      const result: Column = { ...before };
      const set = <K extends keyof Column>(p: K, value: Column[K]) => {
        result[p] = value;
      };
      for (const p of RECURSING) if (change.properties.includes(p)) set(p, change.to[p]);
      // A type change drops and sets the default again (pg-operations-column.ts), on children too.
      const retyped = change.properties.includes('type') || change.properties.includes('collation');
      if (retyped && (change.from.default !== null || change.to.default !== null)) {
        set('default', change.properties.includes('default') ? change.to.default : change.from.default);
      }
      return result;
    },
    touched: [...added.keys(), ...renamed.values(), ...altered.keys()],
  };
}
