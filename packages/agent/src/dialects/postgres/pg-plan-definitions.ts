import type { Namespace, PlanOperation, View } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { namespaceOf, type PgContext } from './pg-context.js';
import { type Dependents, objectKey, routineHeader, viewReplaceKind } from './pg-dependents.js';
import { commentOp, createIndexOp, dropIndexOp } from './pg-operations.js';
import {
  createRoutineOp,
  createTriggerOp,
  createViewOp,
  dropRoutineOp,
  dropTriggerOp,
  dropViewOp,
  replaceRoutineOp,
  replaceTriggerOp,
  replaceViewOp,
  routineReplaceKind,
  viewCommentOp,
} from './pg-operations-definitions.js';
import { dropOrder, type Node } from './pg-order.js';
import type { Phases } from './pg-phases.js';
import { type Definition, orderCreates } from './pg-plan-creates.js';
import type { CleanupItem } from './pg-plan-types.js';
import { indexComment, renderCreateIndex } from './pg-render.js';
import { mentions } from './pg-sql.js';

/*
 * Views, routines and triggers: the differ's changes to them, and the ones moved out of the
 * way (dropped early, recreated from the desired state). Creates are collected as definitions
 * and ordered by pg-plan-creates.ts.
 */

type Routine = Namespace['routines'][number];

function viewOps(ns: string, view: View): PlanOperation[] {
  const indexes = (view.indexes ?? []).map((index) =>
    createIndexOp(ns, view.name, index, () => renderCreateIndex(ns, view.name, index), {
      existing: false,
      concurrent: false,
    }),
  );
  return [createViewOp(ns, view), ...indexes];
}

export function planDefinitions(ctx: PgContext, deps: Dependents, phases: Phases, cleanup: CleanupItem[]): void {
  const routines: Definition[] = [];
  const views: Definition[] = [];
  const routine = (ns: string, r: Routine, op: PlanOperation) =>
    routines.push({ ns, name: r.name, text: routineHeader(r), ops: [op], kind: 'routine' });
  const view = (ns: string, v: View, ops: PlanOperation[]) =>
    views.push({ ns, name: v.name, text: v.definition, ops, kind: 'view' });
  const toView = (ns: string, name: string) => namespaceOf(ctx.to, ns).views.find((v) => v.name === name);
  const toRoutine = (ns: string, r: Routine) =>
    namespaceOf(ctx.to, ns).routines.find((x) => x.name === r.name && x.arguments === r.arguments);

  // Objects moved out of the way: dropped early, recreated from the desired state.
  const dropViews: Node<PlanOperation>[] = [];
  for (const ns of ctx.from.namespaces) {
    for (const v of ns.views) {
      if (!deps.views.has(objectKey(ns.name, v.name))) continue;
      dropViews.push({
        item: dropViewOp(ns.name, v),
        key: objectKey(ns.name, v.name),
        rank: 0,
        dependsOn: [v.definition],
      });
      const now = toView(ns.name, v.name);
      if (now !== undefined) view(ns.name, now, viewOps(ns.name, now));
    }
    for (const r of ns.routines) {
      if (!deps.routines.has(objectKey(ns.name, `${r.name}(${r.arguments})`))) continue;
      phases.dropRoutines.push(dropRoutineOp(ns.name, r));
      const now = toRoutine(ns.name, r);
      if (now !== undefined) routine(ns.name, now, createRoutineOp(ns.name, now));
    }
    for (const t of ns.triggers) {
      if (!deps.triggers.has(objectKey(ns.name, `${t.table}.${t.name}`))) continue;
      phases.dropTriggers.push(dropTriggerOp(ns.name, t));
      const now = namespaceOf(ctx.to, ns.name).triggers.find((x) => x.table === t.table && x.name === t.name);
      if (now !== undefined) phases.triggers.push(createTriggerOp(ns.name, now));
    }
  }
  const dropKeys = dropViews.map((n) => n.key.split('\u0000') as [string, string]);
  phases.dropViews.push(
    ...dropOrder(
      dropViews.map((n) => ({
        ...n,
        dependsOn: dropKeys
          .filter(([ns, v]) => mentions(n.dependsOn[0] ?? '', ns, v))
          .map(([ns, v]) => objectKey(ns, v)),
      })),
    ),
  );

  for (const change of ctx.changes) {
    const ns = 'namespace' in change && typeof change.namespace === 'string' ? change.namespace : '';
    switch (change.kind) {
      case 'create-view':
        view(ns, change.view, viewOps(ns, change.view));
        break;
      case 'replace-view': {
        if (deps.views.has(objectKey(ns, change.from.name))) break;
        const kind = viewReplaceKind(change.from, change.to);
        if (kind === 'in-place' || kind === 'append') {
          view(ns, change.to, [replaceViewOp(ns, change.from, change.to, kind === 'append')]);
          break;
        }
        if (kind === 'indexes') planViewIndexes(ctx, ns, change.from, change.to, phases);
        if (change.from.comment !== change.to.comment) phases.comments.push(viewCommentOp(ns, change.from, change.to));
        break;
      }
      case 'create-routine':
        routine(ns, change.routine, createRoutineOp(ns, change.routine));
        break;
      case 'drop-routine': {
        const key = objectKey(ns, `${change.routine.name}(${change.routine.arguments})`);
        if (deps.routines.has(key)) break;
        cleanup.push({
          op: dropRoutineOp(ns, change.routine),
          ns,
          name: change.routine.name,
          text: routineHeader(change.routine),
          rank: 5,
        });
        break;
      }
      case 'replace-routine': {
        if (deps.routines.has(objectKey(ns, `${change.from.name}(${change.from.arguments})`))) break;
        const op = replaceRoutineOp(ns, change.from, change.to);
        if (routineReplaceKind(change.from, change.to) === 'comment') phases.comments.push(op);
        else routine(ns, change.to, op);
        break;
      }
      case 'create-trigger':
        phases.triggers.push(createTriggerOp(ns, change.trigger));
        break;
      case 'drop-trigger':
        if (!deps.triggers.has(objectKey(ns, `${change.trigger.table}.${change.trigger.name}`))) {
          phases.dropTriggers.push(dropTriggerOp(ns, change.trigger));
        }
        break;
      case 'replace-trigger': {
        if (deps.triggers.has(objectKey(ns, `${change.from.table}.${change.from.name}`))) break;
        const op = replaceTriggerOp(ns, change.from, change.to);
        (op.action === 'set-comment' ? phases.comments : phases.triggers).push(op);
        break;
      }
      default:
        break;
    }
  }
  // Code-unit order, not localeCompare: the plan must not depend on the machine's locale.
  const label = (op: PlanOperation) => `${op.object.namespace}\u0000${op.object.name}`;
  const byLabel = (a: PlanOperation, b: PlanOperation) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0);
  phases.triggers.sort(byLabel);
  phases.dropTriggers.sort(byLabel);
  orderCreates(ctx, routines, views, phases);
}

/** A materialized view whose definition stays but whose indexes change. */
function planViewIndexes(ctx: PgContext, ns: string, from: View, to: View, phases: Phases): void {
  type Index = NonNullable<View['indexes']>[number];
  const render = (v: View, index: Index, c = false) => renderCreateIndex(ns, v.name, index, c);
  const same = (a: Index, b: Index) => deepEqual({ ...a, comment: null }, { ...b, comment: null });
  const old = from.indexes ?? [];
  const now = to.indexes ?? [];
  for (const index of old) {
    if (!now.some((n) => same(n, index))) {
      phases.dropConstraints.push(dropIndexOp(ns, from.name, index, () => render(from, index)));
    }
  }
  for (const index of now) {
    const was = old.find((o) => same(o, index));
    if (was === undefined) {
      const op = createIndexOp(ns, to.name, index, (c) => render(to, index, c), {
        existing: true,
        concurrent: ctx.concurrentIndexes,
      });
      (ctx.concurrentIndexes ? phases.concurrent : phases.createIndexes).push(op);
    } else if (was.comment !== index.comment) {
      const statement = (c: string | null) => indexComment(ns, index, c);
      phases.comments.push(commentOp('index', ns, `${to.name}.${index.name}`, statement, was.comment, index.comment));
    }
  }
}
