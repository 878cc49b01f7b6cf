import type { Namespace, PlanOperation } from '@isotyp/protocol';
import { commentOp, operation } from './pg-operations.js';
import { domainStatements, enumStatements } from './pg-operations-types.js';
import { literalOrNull, qualify, quoteIdent, quoteLiteral } from './pg-sql.js';

/*
 * Enums and domains that change. ALTER TYPE … ADD VALUE and ALTER DOMAIN cover what PostgreSQL
 * can change in place; anything else (an enum losing or reordering values, a domain changing
 * its base type or collation) recreates the type: the old one is renamed out of the way, the
 * new one created, every column converted to it through text, and the old one dropped.
 */

type Enum = Namespace['enums'][number];
type Domain = Namespace['domains'][number];

/** Values appended or inserted, each placed after its predecessor in the desired order. */
export function addEnumValuesOp(ns: string, from: Enum, to: Enum): PlanOperation[] {
  const name = qualify(ns, to.name);
  const present = new Set(from.values);
  const up: string[] = [];
  to.values.forEach((value, i) => {
    if (present.has(value)) return;
    const previous = to.values[i - 1];
    const first = from.values[0];
    const where =
      previous !== undefined
        ? ` AFTER ${quoteLiteral(previous)}`
        : first !== undefined
          ? ` BEFORE ${quoteLiteral(first)}`
          : '';
    up.push(`ALTER TYPE ${name} ADD VALUE ${quoteLiteral(value)}${where}`);
    present.add(value);
  });
  const ops: PlanOperation[] = [];
  if (up.length > 0) {
    ops.push(
      operation({
        action: 'add-enum-value',
        kind: 'enum',
        namespace: ns,
        name: to.name,
        up,
        down: { irreversible: `PostgreSQL cannot drop a value from an enum; ${to.name} keeps the added values` },
        risk: 'safe',
        lock: 'none',
        dataLoss: false,
      }),
    );
  }
  if (from.comment !== to.comment) {
    ops.push(
      commentOp('enum', ns, to.name, (c) => `COMMENT ON TYPE ${name} IS ${literalOrNull(c)}`, from.comment, to.comment),
    );
  }
  return ops;
}

/** A column to convert when its type is recreated, named as it is when the conversion runs. */
export interface TypedColumn {
  ns: string;
  table: string;
  column: string;
  /** The column holds an array of the type. */
  array: boolean;
  default: string | null;
}

export type Recreated = { kind: 'enum'; from: Enum; to: Enum } | { kind: 'domain'; from: Domain; to: Domain };

/** The name the old type is parked under while its columns move to the new one. */
export function parkedName(name: string): string {
  return `isotyp_old_${name}`.slice(0, 63);
}

function recreateStatements(
  ns: string,
  type: string,
  create: string[],
  word: string,
  columns: TypedColumn[],
): string[] {
  const parked = parkedName(type);
  const target = qualify(ns, type);
  const statements = [`ALTER ${word} ${target} RENAME TO ${quoteIdent(parked)}`, ...create.slice(0, 1)];
  for (const c of columns) {
    const alter = `ALTER TABLE ${qualify(c.ns, c.table)} ALTER COLUMN ${quoteIdent(c.column)}`;
    const via = word === 'TYPE' ? (c.array ? '::text[]' : '::text') : '';
    const to = `${target}${c.array ? '[]' : ''}`;
    if (c.default !== null) statements.push(`${alter} DROP DEFAULT`);
    statements.push(`${alter} TYPE ${to} USING ${quoteIdent(c.column)}${via}::${to}`);
    if (c.default !== null) statements.push(`${alter} SET DEFAULT ${c.default}`);
  }
  statements.push(`DROP ${word} ${qualify(ns, parked)}`, ...create.slice(1));
  return statements;
}

/**
 * Recreates an enum or domain in one operation, converting `columns`. Rows holding a value the
 * new type refuses make it fail, so nothing is lost silently; the reverse conversion is the
 * down. Dependent views and routines are dropped before and recreated after by the planner.
 */
export function recreateTypeOp(ns: string, change: Recreated, columns: TypedColumn[]): PlanOperation {
  const word = change.kind === 'enum' ? 'TYPE' : 'DOMAIN';
  const statements = (side: 'from' | 'to') =>
    recreateStatements(
      ns,
      change.to.name,
      change.kind === 'enum' ? enumStatements(ns, change[side]) : domainStatements(ns, change[side]),
      word,
      columns,
    );
  return operation({
    action: `recreate-${change.kind}`,
    kind: change.kind,
    namespace: ns,
    name: change.to.name,
    up: statements('to'),
    down: statements('from'),
    risk: 'destructive',
    lock: 'exclusive',
    dataLoss: false,
  });
}

/** ALTER DOMAIN for a domain whose base type and collation stay. */
export function alterDomainOps(ns: string, from: Domain, to: Domain): PlanOperation[] {
  const name = qualify(ns, to.name);
  const alter = `ALTER DOMAIN ${name}`;
  const ops: PlanOperation[] = [];
  const op = (action: string, up: string[], down: string[], risk: PlanOperation['risk'] = 'caution') =>
    ops.push(operation({ action, kind: 'domain', namespace: ns, name: to.name, up, down, risk, lock: 'exclusive' }));
  const setDefault = (d: string | null) => (d === null ? `${alter} DROP DEFAULT` : `${alter} SET DEFAULT ${d}`);
  if (from.default !== to.default) op('alter-domain', [setDefault(to.default)], [setDefault(from.default)], 'safe');
  if (from.nullable !== to.nullable) {
    const set = (nullable: boolean) => `${alter} ${nullable ? 'DROP' : 'SET'} NOT NULL`;
    op('alter-domain', [set(to.nullable)], [set(from.nullable)]);
  }
  const add = (c: Domain['checks'][number]) => [
    `${alter} ADD CONSTRAINT ${quoteIdent(c.name)} CHECK (${c.expression})`,
    ...(c.comment
      ? [`COMMENT ON CONSTRAINT ${quoteIdent(c.name)} ON DOMAIN ${name} IS ${literalOrNull(c.comment)}`]
      : []),
  ];
  const drop = (c: Domain['checks'][number]) => `${alter} DROP CONSTRAINT ${quoteIdent(c.name)}`;
  const constraintComment = (c: string) => (text: string | null) =>
    `COMMENT ON CONSTRAINT ${quoteIdent(c)} ON DOMAIN ${name} IS ${literalOrNull(text)}`;
  for (const old of from.checks) {
    const now = to.checks.find((c) => c.name === old.name);
    if (now === undefined) op('alter-domain', [drop(old)], add(old));
    else if (now.expression !== old.expression) op('alter-domain', [drop(old), ...add(now)], [drop(now), ...add(old)]);
    else if ((now.comment ?? null) !== (old.comment ?? null)) {
      ops.push(
        commentOp(
          'check',
          ns,
          `${to.name}.${now.name}`,
          constraintComment(now.name),
          old.comment ?? null,
          now.comment ?? null,
        ),
      );
    }
  }
  for (const now of to.checks)
    if (!from.checks.some((c) => c.name === now.name)) op('alter-domain', add(now), [drop(now)]);
  if (from.comment !== to.comment) {
    ops.push(
      commentOp(
        'domain',
        ns,
        to.name,
        (c) => `COMMENT ON DOMAIN ${name} IS ${literalOrNull(c)}`,
        from.comment,
        to.comment,
      ),
    );
  }
  return ops;
}
