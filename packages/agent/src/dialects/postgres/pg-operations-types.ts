import type { Namespace, PlanOperation, SchemaModel } from '@isotyp/protocol';
import { deepEqual } from '../../diff/match.js';
import { commentOp, operation } from './pg-operations.js';
import { sequenceParameters } from './pg-render.js';
import { literalOrNull, qualify, quoteIdent, quoteLiteral } from './pg-sql.js';

/*
 * Schemas, extensions, enums, domains and sequences: the objects tables are built from, so
 * they are created before tables and dropped after them.
 */

type Enum = Namespace['enums'][number];
type Domain = Namespace['domains'][number];
type Sequence = Namespace['sequences'][number];
type Extension = NonNullable<SchemaModel['extensions']>[number];

const comment = (target: string) => (text: string | null) => `COMMENT ON ${target} IS ${literalOrNull(text)}`;

export function createSchemaOp(ns: Namespace): PlanOperation {
  const create = [`CREATE SCHEMA ${quoteIdent(ns.name)}`, ...commentIf(`SCHEMA ${quoteIdent(ns.name)}`, ns.comment)];
  return operation({
    action: 'create-schema',
    kind: 'namespace',
    namespace: ns.name,
    name: ns.name,
    up: create,
    down: [`DROP SCHEMA ${quoteIdent(ns.name)}`],
    risk: 'safe',
    lock: 'none',
  });
}

/** Runs last: everything in the schema has been dropped by earlier operations. */
export function dropSchemaOp(ns: Namespace): PlanOperation {
  return operation({
    action: 'drop-schema',
    kind: 'namespace',
    namespace: ns.name,
    name: ns.name,
    up: [`DROP SCHEMA ${quoteIdent(ns.name)}`],
    down: [`CREATE SCHEMA ${quoteIdent(ns.name)}`, ...commentIf(`SCHEMA ${quoteIdent(ns.name)}`, ns.comment)],
    risk: 'caution',
    lock: 'none',
  });
}

export function schemaCommentOp(ns: string, from: string | null, to: string | null): PlanOperation {
  return commentOp('namespace', ns, ns, comment(`SCHEMA ${quoteIdent(ns)}`), from, to);
}

const createExtension = (e: Extension) => `CREATE EXTENSION ${quoteIdent(e.name)} WITH SCHEMA ${quoteIdent(e.schema)}`;

/** Extensions the desired state adds, drops or moves (the differ does not compare them). */
export function extensionOps(from: SchemaModel, to: SchemaModel): { create: PlanOperation[]; drop: PlanOperation[] } {
  const old = new Map((from.extensions ?? []).map((e) => [e.name, e]));
  const now = new Map((to.extensions ?? []).map((e) => [e.name, e]));
  const op = (action: string, e: Extension, up: string[], down: string[], risk: PlanOperation['risk']) =>
    operation({ action, kind: 'namespace', namespace: e.schema, name: e.name, up, down, risk, lock: 'none' });
  const create: PlanOperation[] = [];
  const drop: PlanOperation[] = [];
  for (const e of now.values()) {
    const was = old.get(e.name);
    const move = (x: Extension) => `ALTER EXTENSION ${quoteIdent(e.name)} SET SCHEMA ${quoteIdent(x.schema)}`;
    if (was === undefined)
      create.push(op('create-extension', e, [createExtension(e)], [`DROP EXTENSION ${quoteIdent(e.name)}`], 'safe'));
    else if (was.schema !== e.schema) create.push(op('alter-extension', e, [move(e)], [move(was)], 'caution'));
  }
  for (const e of old.values()) {
    if (!now.has(e.name))
      drop.push(op('drop-extension', e, [`DROP EXTENSION ${quoteIdent(e.name)}`], [createExtension(e)], 'caution'));
  }
  return { create, drop };
}

function commentIf(target: string, text: string | null | undefined): string[] {
  return text === null || text === undefined ? [] : [comment(target)(text)];
}

export const enumStatements = (ns: string, e: Enum): string[] => [
  `CREATE TYPE ${qualify(ns, e.name)} AS ENUM (${e.values.map(quoteLiteral).join(', ')})`,
  ...commentIf(`TYPE ${qualify(ns, e.name)}`, e.comment),
];

export function domainStatements(ns: string, d: Domain): string[] {
  const name = qualify(ns, d.name);
  let sql = `CREATE DOMAIN ${name} AS ${d.type}`;
  if (d.collation !== null) sql += ` COLLATE ${d.collation}`;
  if (d.default !== null) sql += ` DEFAULT ${d.default}`;
  if (!d.nullable) sql += ' NOT NULL';
  for (const check of d.checks) sql += ` CONSTRAINT ${quoteIdent(check.name)} CHECK (${check.expression})`;
  return [
    sql,
    ...commentIf(`DOMAIN ${name}`, d.comment),
    ...d.checks.flatMap((c) => commentIf(`CONSTRAINT ${quoteIdent(c.name)} ON DOMAIN ${name}`, c.comment)),
  ];
}

export const sequenceStatements = (ns: string, s: Sequence): string[] => [
  `CREATE SEQUENCE ${qualify(ns, s.name)} ${sequenceParameters(s)}`,
  ...commentIf(`SEQUENCE ${qualify(ns, s.name)}`, s.comment),
];

type TypeObject =
  | { kind: 'enum'; value: Enum }
  | { kind: 'domain'; value: Domain }
  | { kind: 'sequence'; value: Sequence };

const TYPE_WORD = { enum: 'TYPE', domain: 'DOMAIN', sequence: 'SEQUENCE' } as const;

function createStatements(ns: string, t: TypeObject): string[] {
  switch (t.kind) {
    case 'enum':
      return enumStatements(ns, t.value);
    case 'domain':
      return domainStatements(ns, t.value);
    case 'sequence':
      return sequenceStatements(ns, t.value);
    default: {
      const never: never = t;
      return never;
    }
  }
}

export function createTypeOp(ns: string, t: TypeObject): PlanOperation {
  return operation({
    action: `create-${t.kind}`,
    kind: t.kind,
    namespace: ns,
    name: t.value.name,
    up: createStatements(ns, t),
    down: [`DROP ${TYPE_WORD[t.kind]} ${qualify(ns, t.value.name)}`],
    risk: 'safe',
    lock: 'none',
  });
}

/**
 * Runs after every table change, when nothing uses the object any more. A sequence's counter
 * is not schema: putting the sequence back restarts it at its START value.
 */
export function dropTypeOp(ns: string, t: TypeObject): PlanOperation {
  return operation({
    action: `drop-${t.kind}`,
    kind: t.kind,
    namespace: ns,
    name: t.value.name,
    up: [`DROP ${TYPE_WORD[t.kind]} ${qualify(ns, t.value.name)}`],
    down: createStatements(ns, t),
    risk: t.kind === 'sequence' ? 'destructive' : 'caution',
    lock: 'none',
    dataLoss: false,
  });
}

/** ALTER SEQUENCE for changed parameters and a comment; ownership is moved separately. */
export function alterSequenceOps(ns: string, from: Sequence, to: Sequence): PlanOperation[] {
  const name = qualify(ns, to.name);
  const ops: PlanOperation[] = [];
  const params = (s: Sequence) => ({ ...s, ownedBy: null, comment: null });
  if (!deepEqual(params(from), params(to))) {
    ops.push(
      operation({
        action: 'alter-sequence',
        kind: 'sequence',
        namespace: ns,
        name: to.name,
        up: [`ALTER SEQUENCE ${name} ${sequenceParameters(to)}`],
        down: [`ALTER SEQUENCE ${name} ${sequenceParameters(from)}`],
        risk: 'caution',
        lock: 'none',
      }),
    );
  }
  if (from.comment !== to.comment)
    ops.push(commentOp('sequence', ns, to.name, comment(`SEQUENCE ${name}`), from.comment, to.comment));
  return ops;
}

/** `OWNED BY table.column` (or NONE): `owner` is the rendered column, or null. */
export function sequenceOwnerOp(
  ns: string,
  sequence: string,
  owner: string | null,
  previous: string | null,
): PlanOperation {
  const ownedBy = (o: string | null) => `ALTER SEQUENCE ${qualify(ns, sequence)} OWNED BY ${o ?? 'NONE'}`;
  return operation({
    action: 'alter-sequence',
    kind: 'sequence',
    namespace: ns,
    name: sequence,
    up: [ownedBy(owner)],
    down: [ownedBy(previous)],
    risk: 'safe',
    lock: 'none',
  });
}

/** The column `ownedBy` names (`table.column`, or `schema.table.column` across schemas), rendered. */
export function renderOwner(model: SchemaModel, ns: string, ownedBy: string | null): string | null {
  if (ownedBy === null) return null;
  for (const namespace of model.namespaces) {
    const prefix = namespace.name === ns ? '' : `${namespace.name}.`;
    for (const t of namespace.tables) {
      for (const c of t.columns) {
        if (`${prefix}${t.name}.${c.name}` === ownedBy)
          return `${qualify(namespace.name, t.name)}.${quoteIdent(c.name)}`;
      }
    }
  }
  const parts = ownedBy.split('.');
  const column = parts.pop() ?? '';
  const table = parts.pop() ?? '';
  return `${qualify(parts.pop() ?? ns, table)}.${quoteIdent(column)}`;
}
