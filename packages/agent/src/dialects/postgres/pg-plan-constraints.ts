import type { ForeignKey, Index, Table } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { type PgContext, type TablePair, tableKey } from './pg-context.js';
import { type Dependents, objectKey } from './pg-dependents.js';
import {
  addConstraintOp,
  addForeignKeyOp,
  type commentOp,
  createIndexOp,
  dropConstraintOp,
  dropForeignKeyOp,
  dropIndexOp,
  type TableConstraint,
} from './pg-operations.js';
import type { Phases } from './pg-phases.js';
import { constraintComment, indexComment, renderCreateIndex } from './pg-render.js';
import { renameIdentifiers } from './pg-sql.js';

/*
 * A kept table's constraints, indexes and foreign keys, compared by name across the two models
 * (the differ's copies have renamed columns; drops must restore the objects exactly as they
 * were). None can be altered: a difference is a drop before the changes and an add after them,
 * except a comment, which is only a COMMENT ON. Exclusion constraints, which the differ does
 * not compare, are compared here like the rest.
 */

export type CommentFn = (
  kind: Parameters<typeof commentOp>[0],
  name: string,
  statement: (c: string | null) => string,
  from: string | null | undefined,
  to: string | null | undefined,
) => void;

const withoutComment = <T extends { comment?: string | null | undefined }>(item: T) => ({ ...item, comment: null });

export function planConstraints(pair: TablePair, phases: Phases, comment: CommentFn): void {
  const { ns } = pair;
  const before = pair.from.name;
  const after = pair.to.name;
  const constraints = (t: Table): Map<string, TableConstraint> => {
    const all: TableConstraint[] = [
      ...(t.primaryKey === null ? [] : [{ kind: 'primary-key' as const, pk: t.primaryKey }]),
      ...t.uniques.map((unique) => ({ kind: 'unique' as const, unique })),
      ...t.checks.map((check) => ({ kind: 'check' as const, check })),
      ...(t.exclusions ?? []).map((exclusion) => ({ kind: 'exclusion' as const, exclusion })),
    ];
    return new Map(all.map((c) => [`${c.kind}:${constraintKey(c)}`, c]));
  };
  const renamed = renamedColumns(pair);
  const oldConstraints = constraints(pair.from);
  const newConstraints = constraints(pair.to);
  for (const [key, old] of oldConstraints) {
    const now = newConstraints.get(key);
    if (now !== undefined && deepEqual(withoutComment(payload(renamed(old))), withoutComment(payload(now)))) {
      const name = payload(now).name;
      const was = payload(old).comment ?? null;
      const is = payload(now).comment ?? null;
      if (was !== is)
        comment(
          now.kind === 'primary-key' ? 'primary-key' : now.kind === 'unique' ? 'unique' : 'check',
          `${after}.${name}`,
          (c) => constraintComment(ns, after, name, c),
          was,
          is,
        );
      continue;
    }
    phases.dropConstraints.push(dropConstraintOp(ns, before, old));
  }
  for (const [key, now] of newConstraints) {
    const old = oldConstraints.get(key);
    if (old === undefined || !deepEqual(withoutComment(payload(renamed(old))), withoutComment(payload(now)))) {
      phases.addConstraints.push(addConstraintOp(ns, after, now));
    }
  }
}

function constraintKey(c: TableConstraint): string {
  return c.kind === 'primary-key' ? '' : payload(c).name;
}

function payload(c: TableConstraint): { name: string; comment?: string | null | undefined } {
  switch (c.kind) {
    case 'primary-key':
      return { ...c.pk, name: c.pk.name ?? '' };
    case 'unique':
      return c.unique;
    case 'check':
      return c.check;
    case 'exclusion':
      return c.exclusion;
    default: {
      const never: never = c;
      return never;
    }
  }
}

/** Follows column renames in a constraint of the old table, so a rename alone changes nothing. */
function renamedColumns(pair: TablePair): (c: TableConstraint) => TableConstraint {
  const renames = pair.columnRenames;
  const follow = (cols: string[]) => cols.map((c) => renames.get(c) ?? c);
  return (c) => {
    switch (c.kind) {
      case 'primary-key':
        return { ...c, pk: { ...c.pk, columns: follow(c.pk.columns) } };
      case 'unique':
        return { ...c, unique: { ...c.unique, columns: follow(c.unique.columns) } };
      case 'check':
        return { ...c, check: { ...c.check, expression: renameIdentifiers(c.check.expression, renames) } };
      case 'exclusion':
        return { ...c, exclusion: { ...c.exclusion, definition: renameIdentifiers(c.exclusion.definition, renames) } };
      default: {
        const never: never = c;
        return never;
      }
    }
  };
}

/** The index as PostgreSQL shows it once the table's columns are renamed. */
function followIndex(pair: TablePair, index: Index): Index {
  const renames = pair.columnRenames;
  const follow = (c: string) => renames.get(c) ?? c;
  const expression = (text: string | null) => (text === null ? null : renameIdentifiers(text, renames));
  return {
    ...index,
    keys: index.keys.map((k) =>
      k.column === null ? { ...k, expression: expression(k.expression) } : { ...k, column: follow(k.column) },
    ),
    include: index.include.map(follow),
    where: expression(index.where),
  };
}

export function planIndexes(ctx: PgContext, pair: TablePair, phases: Phases, comment: CommentFn): void {
  const { ns } = pair;
  const partitioned = 'partitionBy' in pair.to.options || 'partitionBy' in pair.from.options;
  const concurrent = ctx.concurrentIndexes && !partitioned;
  const now = new Map(pair.to.indexes.map((i) => [i.name, i]));
  const kept = new Set<string>();
  for (const old of pair.from.indexes) {
    const index = now.get(old.name);
    if (index !== undefined && deepEqual(withoutComment(followIndex(pair, old)), withoutComment(index))) {
      kept.add(old.name);
      if (old.comment !== index.comment)
        comment(
          'index',
          `${pair.to.name}.${index.name}`,
          (c) => indexComment(ns, index, c),
          old.comment,
          index.comment,
        );
      continue;
    }
    phases.dropConstraints.push(dropIndexOp(ns, pair.from.name, old, () => renderCreateIndex(ns, pair.from.name, old)));
  }
  for (const index of pair.to.indexes) {
    if (kept.has(index.name)) continue;
    const op = createIndexOp(ns, pair.to.name, index, (c) => renderCreateIndex(ns, pair.to.name, index, c), {
      existing: true,
      concurrent,
    });
    (concurrent ? phases.concurrent : phases.createIndexes).push(op);
  }
}

export function planForeignKeys(pair: TablePair, deps: Dependents, phases: Phases, comment: CommentFn): void {
  const { ns } = pair;
  const follow = (fk: ForeignKey): ForeignKey => ({
    ...fk,
    columns: fk.columns.map((c) => pair.columnRenames.get(c) ?? c),
  });
  const now = new Map(pair.to.foreignKeys.map((f) => [f.name, f]));
  const key = tableKey(ns, pair.from.name);
  const readd = new Set<string>();
  for (const old of pair.from.foreignKeys) {
    const fk = now.get(old.name);
    const same = fk !== undefined && deepEqual(withoutComment(follow(old)), withoutComment(fk));
    if (same && !deps.foreignKeys.has(objectKey(key, old.name))) {
      if ((old.comment ?? null) !== (fk.comment ?? null)) {
        comment(
          'foreign-key',
          `${pair.to.name}.${fk.name}`,
          (c) => constraintComment(ns, pair.to.name, fk.name, c),
          old.comment,
          fk.comment,
        );
      }
      continue;
    }
    phases.dropForeignKeys.push(dropForeignKeyOp(ns, pair.from.name, old));
    if (fk !== undefined) readd.add(fk.name);
  }
  for (const fk of pair.to.foreignKeys) {
    if (readd.has(fk.name) || !pair.from.foreignKeys.some((f) => f.name === fk.name)) {
      phases.addForeignKeys.push(addForeignKeyOp(ns, pair.to.name, fk, true));
    }
  }
}
