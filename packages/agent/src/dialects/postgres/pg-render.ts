import type { Column, ForeignKey, Index, Namespace, Table } from '@isotyp/protocol';
import { ACTION_SQL } from '../referential-actions.js';
import { literalOrNull, qualify, quoteIdent, splitNameList } from './pg-sql.js';

/*
 * CREATE statements and clauses rendered from the neutral model. The contract, checked by the
 * round-trip tests, is that introspecting what is rendered gives the model back unchanged, so a
 * table the planner created is indistinguishable from one the desired-state file created.
 */

type Unique = Table['uniques'][number];
type Check = Table['checks'][number];
type Exclusion = NonNullable<Table['exclusions']>[number];

export const columnList = (names: readonly string[]): string => names.map(quoteIdent).join(', ');

export function renderIdentity(identity: NonNullable<Column['identity']>): string {
  const generation = identity.generation === 'always' ? 'ALWAYS' : 'BY DEFAULT';
  return `GENERATED ${generation} AS IDENTITY (START WITH ${identity.start} INCREMENT BY ${identity.increment})`;
}

/** A column as written in CREATE TABLE or ADD COLUMN. */
export function renderColumn(column: Column): string {
  let sql = `${quoteIdent(column.name)} ${column.type}`;
  if (column.collation !== null) sql += ` COLLATE ${column.collation}`;
  if (column.generated !== null) sql += ` GENERATED ALWAYS AS (${column.generated.expression}) STORED`;
  if (column.identity !== null) sql += ` ${renderIdentity(column.identity)}`;
  if (column.default !== null) sql += ` DEFAULT ${column.default}`;
  if (!column.nullable) sql += ' NOT NULL';
  return sql;
}

export function renderPrimaryKey(pk: NonNullable<Table['primaryKey']>): string {
  const name = pk.name === null ? '' : `CONSTRAINT ${quoteIdent(pk.name)} `;
  return `${name}PRIMARY KEY (${columnList(pk.columns)})`;
}

export function renderUnique(unique: Unique): string {
  const nulls = unique.nullsNotDistinct ? ' NULLS NOT DISTINCT' : '';
  return `CONSTRAINT ${quoteIdent(unique.name)} UNIQUE${nulls} (${columnList(unique.columns)})`;
}

export const renderCheck = (check: Check): string => `CONSTRAINT ${quoteIdent(check.name)} CHECK (${check.expression})`;

export const renderExclusion = (exclusion: Exclusion): string =>
  `CONSTRAINT ${quoteIdent(exclusion.name)} ${exclusion.definition}`;

export function renderForeignKey(namespace: string, fk: ForeignKey): string {
  let sql = `CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${columnList(fk.columns)}) REFERENCES ${qualify(fk.refSchema ?? namespace, fk.refTable)} (${columnList(fk.refColumns)})`;
  if (fk.match === 'full') sql += ' MATCH FULL';
  if (fk.onDelete !== 'no-action') sql += ` ON DELETE ${ACTION_SQL[fk.onDelete]}`;
  if (fk.onUpdate !== 'no-action') sql += ` ON UPDATE ${ACTION_SQL[fk.onUpdate]}`;
  if (fk.deferrable) sql += fk.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
  return sql;
}

/**
 * CREATE TABLE without foreign keys (added once every table exists), then what CREATE TABLE
 * cannot say: partition attachment and row security. A partition is created standalone and
 * attached, as pg_dump does, so its own column order and defaults are kept; it carries the
 * parent's checks because ATTACH PARTITION requires them (they become inherited, so
 * introspection leaves them out again). `parentChecks` are those the parent has at that point.
 */
export function renderCreateTable(namespace: string, table: Table, parentChecks: Check[] = []): string[] {
  const name = qualify(namespace, table.name);
  const own = new Set(table.checks.map((c) => c.name));
  const items = [
    ...table.columns.map(renderColumn),
    ...(table.primaryKey === null ? [] : [renderPrimaryKey(table.primaryKey)]),
    ...table.uniques.map(renderUnique),
    ...[...table.checks, ...parentChecks.filter((c) => !own.has(c.name))].map(renderCheck),
    ...(table.exclusions ?? []).map(renderExclusion),
  ];
  const options = table.options;
  let sql = `CREATE ${options.unlogged === true ? 'UNLOGGED ' : ''}TABLE ${name} (${items.length === 0 ? '' : `\n  ${items.join(',\n  ')}\n`})`;
  if (typeof options.inherits === 'string') sql += ` INHERITS (${splitNameList(options.inherits).join(', ')})`;
  if (typeof options.partitionBy === 'string') sql += ` PARTITION BY ${options.partitionBy}`;
  if (typeof options.accessMethod === 'string') sql += ` USING ${quoteIdent(options.accessMethod)}`;
  if (typeof options.with === 'string') sql += ` WITH (${options.with})`;
  const statements = [sql];
  if (typeof options.partitionOf === 'string') {
    statements.push(
      `ALTER TABLE ${options.partitionOf} ATTACH PARTITION ${name} ${options.partitionBound ?? 'DEFAULT'}`,
    );
  }
  if (options.rowSecurity === true) statements.push(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`);
  if (options.forceRowSecurity === true) statements.push(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`);
  return statements;
}

/** Comments of a new table and of everything CREATE TABLE made with it. */
export function tableComments(namespace: string, table: Table): string[] {
  const name = qualify(namespace, table.name);
  const statements: string[] = [];
  if (table.comment !== null) statements.push(`COMMENT ON TABLE ${name} IS ${literalOrNull(table.comment)}`);
  for (const c of table.columns) {
    if (c.comment !== null)
      statements.push(`COMMENT ON COLUMN ${name}.${quoteIdent(c.name)} IS ${literalOrNull(c.comment)}`);
  }
  const constraints = [
    ...(table.primaryKey?.name ? [{ name: table.primaryKey.name, comment: table.primaryKey.comment }] : []),
    ...table.uniques,
    ...table.checks,
    ...(table.exclusions ?? []),
  ];
  for (const c of constraints) {
    if (c.comment !== null && c.comment !== undefined)
      statements.push(constraintComment(namespace, table.name, c.name, c.comment));
  }
  return statements;
}

export function constraintComment(namespace: string, table: string, name: string, comment: string | null): string {
  return `COMMENT ON CONSTRAINT ${quoteIdent(name)} ON ${qualify(namespace, table)} IS ${literalOrNull(comment)}`;
}

/** CREATE INDEX, with the ordering and NULLS placement written only where not the default. */
export function renderCreateIndex(namespace: string, table: string, index: Index, concurrently = false): string {
  const keys = index.keys.map((k) => {
    let key = k.column === null ? `(${k.expression ?? ''})` : quoteIdent(k.column);
    if (k.collation !== null) key += ` COLLATE ${k.collation}`;
    if (k.opclass !== null && k.opclass !== undefined) key += ` ${k.opclass}`;
    if (k.order === 'desc') key += ' DESC';
    if (k.nulls !== null && k.nulls !== (k.order === 'desc' ? 'first' : 'last'))
      key += ` NULLS ${k.nulls.toUpperCase()}`;
    return key;
  });
  let sql = `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${quoteIdent(index.name)} ON ${qualify(namespace, table)}`;
  sql += ` USING ${index.method ?? 'btree'} (${keys.join(', ')})`;
  if (index.include.length > 0) sql += ` INCLUDE (${columnList(index.include)})`;
  if (index.nullsNotDistinct === true) sql += ' NULLS NOT DISTINCT';
  if (index.where !== null) sql += ` WHERE ${index.where}`;
  return sql;
}

export function indexComment(namespace: string, index: Index, comment = index.comment): string {
  return `COMMENT ON INDEX ${qualify(namespace, index.name)} IS ${literalOrNull(comment)}`;
}

type Sequence = Namespace['sequences'][number];

/** The parameters of CREATE / ALTER SEQUENCE, every one written so nothing is left implicit. */
export function sequenceParameters(s: Sequence): string {
  return `AS ${s.type} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache} ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
}
