import type { Namespace, PlanOperation, View } from '@isotyp/protocol';
import { commentOp, operation } from './pg-operations.js';
import { indexComment, renderCreateIndex } from './pg-render.js';
import { literalOrNull, qualify, quoteIdent, withoutSemicolon } from './pg-sql.js';

/*
 * Views, routines and triggers, kept by the model as the text the server prints for them
 * (pg_get_viewdef, pg_get_functiondef, pg_get_triggerdef) and recreated from that text, which
 * reads back the same. Each operation's down restores the old definition.
 */

type Routine = Namespace['routines'][number];
type Trigger = Namespace['triggers'][number];

const viewWord = (v: View) => (v.materialized ? 'MATERIALIZED VIEW' : 'VIEW');
const viewKind = (v: View) => (v.materialized ? 'materialized-view' : 'view');

function viewCreate(ns: string, v: View, orReplace = false): string {
  const options = typeof v.options?.with === 'string' ? ` WITH (${v.options.with})` : '';
  const create = orReplace ? 'CREATE OR REPLACE' : 'CREATE';
  return `${create} ${viewWord(v)} ${qualify(ns, v.name)}${options} AS ${withoutSemicolon(v.definition).trimStart()}`;
}

const viewComment = (ns: string, v: View) => (text: string | null) =>
  `COMMENT ON ${viewWord(v)} ${qualify(ns, v.name)} IS ${literalOrNull(text)}`;

/** CREATE VIEW with its comment; a materialized view's indexes are separate operations. */
export function viewStatements(ns: string, v: View, withIndexes = false): string[] {
  const statements = [viewCreate(ns, v)];
  if (v.comment !== null) statements.push(viewComment(ns, v)(v.comment));
  if (withIndexes) {
    for (const index of v.indexes ?? []) {
      statements.push(renderCreateIndex(ns, v.name, index));
      if (index.comment !== null) statements.push(indexComment(ns, index));
    }
  }
  return statements;
}

const dropView = (ns: string, v: View) => `DROP ${viewWord(v)} ${qualify(ns, v.name)}`;

export function createViewOp(ns: string, v: View): PlanOperation {
  return operation({
    action: 'create-view',
    kind: viewKind(v),
    namespace: ns,
    name: v.name,
    up: viewStatements(ns, v),
    down: [dropView(ns, v)],
    risk: 'safe',
    lock: 'none',
  });
}

/** Dropped early: its down puts it back with its indexes. */
export function dropViewOp(ns: string, v: View): PlanOperation {
  return operation({
    action: 'drop-view',
    kind: viewKind(v),
    namespace: ns,
    name: v.name,
    up: [dropView(ns, v)],
    down: viewStatements(ns, v, true),
    risk: 'caution',
    lock: 'exclusive',
    dataLoss: false,
  });
}

/**
 * CREATE OR REPLACE VIEW, which PostgreSQL allows when the columns stay and new ones are only
 * appended. Going back to fewer columns is a drop and create (`appends`), which is why the
 * planner moves views built on this one out of the way in that case.
 */
export function replaceViewOp(ns: string, from: View, to: View, appends: boolean): PlanOperation {
  const withComment = (v: View) =>
    v.comment === from.comment && v.comment === to.comment ? [] : [viewComment(ns, v)(v.comment)];
  return operation({
    action: 'replace-view',
    kind: viewKind(to),
    namespace: ns,
    name: to.name,
    up: [viewCreate(ns, to, true), ...withComment(to)],
    down: appends
      ? [dropView(ns, from), ...viewStatements(ns, from)]
      : [viewCreate(ns, from, true), ...withComment(from)],
    risk: 'caution',
    lock: 'exclusive',
  });
}

export function viewCommentOp(ns: string, from: View, to: View): PlanOperation {
  return commentOp(viewKind(to), ns, to.name, viewComment(ns, to), from.comment, to.comment);
}

const ROUTINE_WORD = { function: 'FUNCTION', procedure: 'PROCEDURE', aggregate: 'AGGREGATE' } as const;
/**
 * Bodies are not checked against tables while routines are created, as in pg_dump: functions
 * go in before the tables whose defaults call them, and a body may name tables created later.
 */
const NO_BODY_CHECK = 'SET LOCAL check_function_bodies = off';

const routineName = (ns: string, r: Routine) => `${ROUTINE_WORD[r.kind]} ${qualify(ns, r.name)}(${r.arguments})`;
const routineComment = (ns: string, r: Routine) => (text: string | null) =>
  `COMMENT ON ${routineName(ns, r)} IS ${literalOrNull(text)}`;

export function routineStatements(ns: string, r: Routine): string[] {
  const create = r.kind === 'aggregate' ? [withoutSemicolon(r.definition)] : [NO_BODY_CHECK, r.definition.trimEnd()];
  return r.comment === null ? create : [...create, routineComment(ns, r)(r.comment)];
}

const dropRoutine = (ns: string, r: Routine) => `DROP ${routineName(ns, r)}`;

/** `routine(args)`: overloads share a name. */
const routineLabel = (r: Routine) => `${r.name}(${r.arguments})`;

export function createRoutineOp(ns: string, r: Routine): PlanOperation {
  return operation({
    action: 'create-routine',
    kind: 'routine',
    namespace: ns,
    name: routineLabel(r),
    up: routineStatements(ns, r),
    down: [dropRoutine(ns, r)],
    risk: 'safe',
    lock: 'none',
  });
}

export function dropRoutineOp(ns: string, r: Routine): PlanOperation {
  return operation({
    action: 'drop-routine',
    kind: 'routine',
    namespace: ns,
    name: routineLabel(r),
    up: [dropRoutine(ns, r)],
    down: routineStatements(ns, r),
    risk: 'caution',
    lock: 'none',
    dataLoss: false,
  });
}

/** The lines CREATE OR REPLACE may not change: name with arguments, and the result type. */
function signature(r: Routine): string {
  return r.definition
    .split('\n')
    .filter((line, i) => i === 0 || line.startsWith(' RETURNS '))
    .join('\n');
}

export type RoutineReplace = 'comment' | 'in-place' | 'recreate';

export function routineReplaceKind(from: Routine, to: Routine): RoutineReplace {
  if (from.definition === to.definition && from.kind === to.kind) return 'comment';
  if (from.kind === to.kind && from.kind !== 'aggregate' && signature(from) === signature(to)) return 'in-place';
  return 'recreate';
}

/** A changed routine: CREATE OR REPLACE when the signature allows it, else DROP and CREATE. */
export function replaceRoutineOp(ns: string, from: Routine, to: Routine): PlanOperation {
  const kind = routineReplaceKind(from, to);
  if (kind === 'comment')
    return commentOp('routine', ns, routineLabel(to), routineComment(ns, to), from.comment, to.comment);
  const side = (r: Routine, other: Routine) => {
    const create = routineStatements(ns, { ...r, comment: null });
    // In place the old comment stays; a dropped routine takes its comment with it.
    const keep = kind === 'in-place' ? r.comment !== other.comment : r.comment !== null;
    const comment = keep ? [routineComment(ns, r)(r.comment)] : [];
    return kind === 'in-place' ? [...create, ...comment] : [dropRoutine(ns, other), ...create, ...comment];
  };
  return operation({
    action: 'replace-routine',
    kind: 'routine',
    namespace: ns,
    name: routineLabel(to),
    up: side(to, from),
    down: side(from, to),
    risk: 'caution',
    lock: 'none',
  });
}

const triggerComment = (ns: string, t: Trigger) => (text: string | null) =>
  `COMMENT ON TRIGGER ${quoteIdent(t.name)} ON ${qualify(ns, t.table)} IS ${literalOrNull(text)}`;

function triggerStatements(ns: string, t: Trigger): string[] {
  return t.comment ? [t.definition, triggerComment(ns, t)(t.comment)] : [t.definition];
}

const dropTrigger = (ns: string, t: Trigger) => `DROP TRIGGER ${quoteIdent(t.name)} ON ${qualify(ns, t.table)}`;
const triggerLabel = (t: Trigger) => `${t.table}.${t.name}`;

export function createTriggerOp(ns: string, t: Trigger): PlanOperation {
  return operation({
    action: 'create-trigger',
    kind: 'trigger',
    namespace: ns,
    name: triggerLabel(t),
    up: triggerStatements(ns, t),
    down: [dropTrigger(ns, t)],
    risk: 'caution',
    lock: 'writes-blocked',
  });
}

export function dropTriggerOp(ns: string, t: Trigger): PlanOperation {
  return operation({
    action: 'drop-trigger',
    kind: 'trigger',
    namespace: ns,
    name: triggerLabel(t),
    up: [dropTrigger(ns, t)],
    down: triggerStatements(ns, t),
    risk: 'caution',
    lock: 'exclusive',
    dataLoss: false,
  });
}

/**
 * DROP and CREATE in one operation (inside the transaction nothing sees the gap). CREATE OR
 * REPLACE TRIGGER would do the same but needs PostgreSQL 14, and introspection supports 12.
 */
export function replaceTriggerOp(ns: string, from: Trigger, to: Trigger): PlanOperation {
  if (from.definition === to.definition) {
    return commentOp('trigger', ns, triggerLabel(to), triggerComment(ns, to), from.comment ?? null, to.comment ?? null);
  }
  return operation({
    action: 'replace-trigger',
    kind: 'trigger',
    namespace: ns,
    name: triggerLabel(to),
    up: [dropTrigger(ns, from), ...triggerStatements(ns, to)],
    down: [dropTrigger(ns, to), ...triggerStatements(ns, from)],
    risk: 'caution',
    lock: 'exclusive',
  });
}
