import type { Namespace, PlanOperation, SchemaModel } from '@isotyp/protocol';
import type { Change } from '../../diff/changes.js';
import type { PgContext } from './pg-context.js';
import { typedColumns } from './pg-dependents.js';
import { addEnumValuesOp, alterDomainOps, type Recreated, recreateTypeOp } from './pg-operations-enum.js';
import {
  alterSequenceOps,
  createSchemaOp,
  createTypeOp,
  dropSchemaOp,
  dropTypeOp,
  extensionOps,
  renderOwner,
  schemaCommentOp,
  sequenceOwnerOp,
} from './pg-operations-types.js';
import { dependencyOrder, type Node } from './pg-order.js';
import type { Phases } from './pg-phases.js';
import { mentions, quoteLiteral, spellings } from './pg-sql.js';

/*
 * Schemas, extensions, enums, domains and sequences. Creates and alters go before tables;
 * drops are returned as nodes for the cleanup phase, which runs after every table change.
 */

type Enum = Namespace['enums'][number];

/** Everything the desired state says in SQL text: where a new enum value could be used. */
function desiredTexts(model: SchemaModel): string[] {
  const texts: string[] = [];
  for (const ns of model.namespaces) {
    for (const t of ns.tables) {
      for (const c of t.columns) texts.push(c.default ?? '', c.generated?.expression ?? '');
      texts.push(...t.checks.map((c) => c.expression), ...(t.exclusions ?? []).map((x) => x.definition));
      for (const i of t.indexes) texts.push(i.where ?? '', ...i.keys.map((k) => k.expression ?? ''));
    }
    texts.push(...ns.views.map((v) => v.definition), ...ns.routines.map((r) => r.definition));
    for (const d of ns.domains) texts.push(d.default ?? '', ...d.checks.map((c) => c.expression));
  }
  return texts.filter((t) => t !== '');
}

/**
 * A value added with ALTER TYPE … ADD VALUE cannot be used before the transaction commits, so
 * an enum whose new values the desired state already uses (a default, a view…) is recreated
 * instead, which needs no commit in between.
 */
function usesNewValue(texts: string[], ns: string, from: Enum, to: Enum): boolean {
  const added = to.values.filter((v) => !from.values.includes(v));
  const literals = added.flatMap((v) => spellings(ns, to.name).map((s) => `${quoteLiteral(v)}::${s}`));
  return texts.some((t) => literals.some((l) => t.includes(l)));
}

const isSubsequence = (short: string[], long: string[]) => {
  let i = 0;
  for (const value of long) if (value === short[i]) i++;
  return i === short.length;
};

/** Enums and domains that cannot change in place and are recreated. */
export function typeRecreations(ctx: PgContext): { ns: string; change: Recreated }[] {
  const result: { ns: string; change: Recreated }[] = [];
  let texts: string[] | undefined;
  for (const change of ctx.changes) {
    const ns = 'namespace' in change && typeof change.namespace === 'string' ? change.namespace : '';
    if (change.kind === 'drop-enum') {
      const created = createdEnum(ctx.changes, ns, change.type.name);
      if (created !== undefined && !isSubsequence(change.type.values, created.values)) {
        result.push({ ns, change: { kind: 'enum', from: change.type, to: created } });
      }
    }
    if (change.kind === 'add-enum-values' || change.kind === 'drop-enum') {
      const from = change.kind === 'drop-enum' ? change.type : change.from;
      const to = change.kind === 'drop-enum' ? createdEnum(ctx.changes, ns, from.name) : change.to;
      if (to === undefined || !isSubsequence(from.values, to.values)) continue;
      texts ??= desiredTexts(ctx.to);
      if (usesNewValue(texts, ns, from, to)) result.push({ ns, change: { kind: 'enum', from, to } });
    }
    if (
      change.kind === 'alter-domain' &&
      (change.from.type !== change.to.type || change.from.collation !== change.to.collation)
    ) {
      result.push({ ns, change: { kind: 'domain', from: change.from, to: change.to } });
    }
  }
  return result;
}

function createdEnum(changes: Change[], ns: string, name: string): Enum | undefined {
  for (const c of changes) if (c.kind === 'create-enum' && c.namespace === ns && c.type.name === name) return c.type;
  return undefined;
}

/** Something the cleanup phase drops: `text` is what it names (a domain's base type…). */
export interface CleanupItem {
  op: PlanOperation;
  ns: string;
  name: string;
  text: string;
  /** In creation order: schemas 0, extensions 1, enums 2, domains 3, sequences 4, routines 5. */
  rank: number;
}

/** Plans type-level changes; returns the drops for the cleanup phase. */
export function planTypes(
  ctx: PgContext,
  recreated: { ns: string; change: Recreated }[],
  phases: Phases,
): CleanupItem[] {
  const cleanup: CleanupItem[] = [];
  const isRecreated = (ns: string, name: string) => recreated.some((r) => r.ns === ns && r.change.to.name === name);
  const drop = (ns: string, rank: number, name: string, text: string, op: PlanOperation) =>
    cleanup.push({ op, ns, name, text, rank });
  const enums: PlanOperation[] = [];
  const domains: Node<PlanOperation[]>[] = [];
  const domain = (ns: string, name: string, type: string, ops: PlanOperation[]) =>
    domains.push({ item: ops, key: `${ns}\u0000${name}`, rank: 0, dependsOn: [type] });
  const sequences: PlanOperation[] = [];
  for (const { ns, change } of recreated) {
    const columns = typedColumns(ctx, ns, change.to.name)
      // A partition's or child's inherited column is converted by its parent's ALTER.
      .filter((c) => !('partitionOf' in c.pair.from.options) && !('inherits' in c.pair.from.options))
      .map((c) => ({
        ns: c.pair.ns,
        table: c.pair.from.name,
        column: c.column,
        array: c.array,
        default: c.pair.from.columns.find((x) => x.name === c.column)?.default ?? null,
      }));
    const op = recreateTypeOp(ns, change, columns);
    if (change.kind === 'enum') enums.push(op);
    else domain(ns, change.to.name, change.to.type, [op]);
  }
  for (const change of ctx.changes) {
    switch (change.kind) {
      case 'create-namespace':
        phases.createSchemas.push(createSchemaOp(change.namespace));
        break;
      case 'drop-namespace':
        drop(change.namespace.name, 0, '', '', dropSchemaOp(change.namespace));
        break;
      case 'set-namespace-comment':
        phases.comments.push(schemaCommentOp(change.namespace, change.from, change.to));
        break;
      case 'create-enum': {
        if (isRecreated(change.namespace, change.type.name)) break;
        const dropped = ctx.changes.find(
          (c) => c.kind === 'drop-enum' && c.namespace === change.namespace && c.type.name === change.type.name,
        );
        if (dropped?.kind === 'drop-enum') enums.push(...addEnumValuesOp(change.namespace, dropped.type, change.type));
        else enums.push(createTypeOp(change.namespace, { kind: 'enum', value: change.type }));
        break;
      }
      case 'drop-enum':
        if (
          isRecreated(change.namespace, change.type.name) ||
          createdEnum(ctx.changes, change.namespace, change.type.name)
        )
          break;
        drop(
          change.namespace,
          2,
          change.type.name,
          '',
          dropTypeOp(change.namespace, { kind: 'enum', value: change.type }),
        );
        break;
      case 'add-enum-values':
        if (!isRecreated(change.namespace, change.to.name))
          enums.push(...addEnumValuesOp(change.namespace, change.from, change.to));
        break;
      case 'create-domain':
        domain(change.namespace, change.domain.name, change.domain.type, [
          createTypeOp(change.namespace, { kind: 'domain', value: change.domain }),
        ]);
        break;
      case 'drop-domain':
        drop(
          change.namespace,
          3,
          change.domain.name,
          change.domain.type,
          dropTypeOp(change.namespace, { kind: 'domain', value: change.domain }),
        );
        break;
      case 'alter-domain':
        if (!isRecreated(change.namespace, change.to.name)) {
          domain(
            change.namespace,
            change.to.name,
            change.to.type,
            alterDomainOps(change.namespace, change.from, change.to),
          );
        }
        break;
      case 'create-sequence': {
        const s = change.sequence;
        sequences.push(createTypeOp(change.namespace, { kind: 'sequence', value: s }));
        const owner = renderOwner(ctx.to, change.namespace, s.ownedBy);
        if (owner !== null) phases.ownSequences.push(sequenceOwnerOp(change.namespace, s.name, owner, null));
        break;
      }
      case 'drop-sequence': {
        const s = change.sequence;
        // Dropping the owning column or table would drop the sequence before its own DROP.
        const owner = renderOwner(ctx.from, change.namespace, s.ownedBy);
        if (owner !== null) phases.disownSequences.push(sequenceOwnerOp(change.namespace, s.name, null, owner));
        drop(change.namespace, 4, s.name, '', dropTypeOp(change.namespace, { kind: 'sequence', value: s }));
        break;
      }
      case 'alter-sequence': {
        const { from, to } = change;
        sequences.push(...alterSequenceOps(change.namespace, from, to));
        if (from.ownedBy !== to.ownedBy) {
          const was = renderOwner(ctx.from, change.namespace, from.ownedBy);
          const now = renderOwner(ctx.to, change.namespace, to.ownedBy);
          if (was !== null) phases.disownSequences.push(sequenceOwnerOp(change.namespace, to.name, null, was));
          if (now !== null) phases.ownSequences.push(sequenceOwnerOp(change.namespace, to.name, now, null));
        }
        break;
      }
      default:
        break;
    }
  }
  const extensions = extensionOps(ctx.from, ctx.to);
  phases.createExtensions.push(...extensions.create);
  for (const op of extensions.drop) drop(op.object.namespace ?? '', 1, `extension ${op.object.name}`, '', op);
  // A domain over another new domain comes after it.
  const domainKeys = domains.map((d) => d.key.split('\u0000') as [string, string]);
  const ordered = dependencyOrder(
    domains.map((d) => ({
      ...d,
      dependsOn: domainKeys
        .filter(([ns, name]) => mentions(d.dependsOn[0] ?? '', ns, name))
        .map(([ns, name]) => `${ns}\u0000${name}`),
    })),
  );
  phases.types.push(...enums, ...ordered.flat(), ...sequences);
  return cleanup;
}
