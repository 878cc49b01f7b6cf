import type { Column, ForeignKey, Index, OnConflict, PrimaryKey, Table, UniqueConstraint } from '@isotyp/protocol';
import { ACTION_SQL } from '../referential-actions.js';
import { columnOf, derivedCheckLabel, isDerivedForeignKey, quoteIdent, renderCollation, renderDefault } from './sql.js';

/*
 * CREATE statements rendered from the neutral model. The contract, checked by the tests, is
 * that introspecting what is rendered gives the model back unchanged, so a rebuilt table is
 * indistinguishable from one created by the desired-state file.
 */

const list = (names: string[]) => names.map(quoteIdent).join(', ');

/** True when the table's primary key is an alias of the rowid (`INTEGER PRIMARY KEY`). */
export function hasRowidAlias(table: Table): boolean {
  return isIntegerKey(table) && table.primaryKey?.keys?.[0]?.order !== 'desc';
}

/** A single INTEGER column key of a rowid table: a rowid alias unless written `PRIMARY KEY DESC`. */
function isIntegerKey(table: Table): boolean {
  const pk = table.primaryKey?.columns;
  if (table.options.withoutRowid === true || pk?.length !== 1) return false;
  return columnOf(table, pk[0] as string)?.type.toUpperCase() === 'INTEGER';
}

/**
 * The primary key goes on its column when only a column constraint says it: AUTOINCREMENT, and
 * `INTEGER PRIMARY KEY DESC`, which as a table constraint `PRIMARY KEY (id DESC)` would make
 * the column a rowid alias after all (https://www.sqlite.org/lang_createtable.html#rowid).
 */
function inlinePrimaryKey(table: Table): boolean {
  return table.options.autoincrement === true || (isIntegerKey(table) && !hasRowidAlias(table));
}

const onConflict = (resolution: OnConflict | undefined) =>
  resolution === undefined ? '' : ` ON CONFLICT ${resolution.toUpperCase()}`;

/** The column list of a PRIMARY KEY or UNIQUE table constraint, with its keys' COLLATE and DESC. */
function renderKeys(constraint: PrimaryKey | UniqueConstraint): string {
  return constraint.columns
    .map((column, i) => {
      const key = constraint.keys?.[i];
      if (key === undefined) return quoteIdent(column);
      const order = key.order === 'desc' ? ' DESC' : '';
      return `${quoteIdent(column)} COLLATE ${renderCollation(key.collation ?? 'BINARY')}${order}`;
    })
    .join(', ');
}

/** The REFERENCES … part of a foreign key, shared by column and table constraints. */
export function renderReferences(fk: ForeignKey): string {
  let sql = `REFERENCES ${quoteIdent(fk.refTable)} (${list(fk.refColumns)})`;
  if (fk.onDelete !== 'no-action') sql += ` ON DELETE ${ACTION_SQL[fk.onDelete]}`;
  if (fk.onUpdate !== 'no-action') sql += ` ON UPDATE ${ACTION_SQL[fk.onUpdate]}`;
  if (fk.deferrable) sql += fk.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
  return sql;
}

const constraintName = (name: string | null) => (name === null ? '' : `CONSTRAINT ${quoteIdent(name)} `);

/**
 * One column definition. `inlineForeignKey` is for ALTER TABLE ADD COLUMN, which can only
 * carry a foreign key as a column constraint.
 */
export function renderColumn(table: Table, column: Column, inlineForeignKey: ForeignKey | null = null): string {
  const parts = [quoteIdent(column.name)];
  if (column.type !== '') parts.push(column.type);
  const pk = table.primaryKey;
  if (pk !== null && inlinePrimaryKey(table) && pk.columns[0] === column.name) {
    const order = pk.keys?.[0]?.order === 'desc' ? ' DESC' : '';
    const autoincrement = table.options.autoincrement === true ? ' AUTOINCREMENT' : '';
    parts.push(`${constraintName(pk.name)}PRIMARY KEY${order}${onConflict(pk.onConflict)}${autoincrement}`);
  }
  if (!column.nullable) parts.push(`NOT NULL${onConflict(column.notNullOnConflict)}`);
  if (column.default !== null) parts.push(`DEFAULT ${renderDefault(column.default)}`);
  if (column.collation !== null) parts.push(`COLLATE ${renderCollation(column.collation)}`);
  if (column.generated !== null) {
    const storage = column.generated.stored ? 'STORED' : 'VIRTUAL';
    parts.push(`GENERATED ALWAYS AS (${column.generated.expression}) ${storage}`);
  }
  for (const check of table.checks) {
    if (derivedCheckLabel(table, check) === column.name) parts.push(`CHECK (${check.expression})`);
  }
  if (inlineForeignKey !== null) {
    const name = isDerivedForeignKey(table, inlineForeignKey) ? null : inlineForeignKey.name;
    parts.push(`${constraintName(name)}${renderReferences(inlineForeignKey)}`);
  }
  return parts.join(' ');
}

/** CREATE TABLE for `table`, optionally under another name (the rebuild's scratch table). */
export function renderCreateTable(table: Table, name = table.name): string {
  const items = table.columns.map((c) => renderColumn(table, c));
  const pk = table.primaryKey;
  if (pk !== null && !inlinePrimaryKey(table)) {
    items.push(`${constraintName(pk.name)}PRIMARY KEY (${renderKeys(pk)})${onConflict(pk.onConflict)}`);
  }
  // Unique constraint names are always derived from the table and columns: never written.
  for (const unique of table.uniques) items.push(`UNIQUE (${renderKeys(unique)})${onConflict(unique.onConflict)}`);
  for (const check of table.checks) {
    const label = derivedCheckLabel(table, check);
    if (label === 'check') items.push(`CHECK (${check.expression})`);
    else if (label === null) items.push(`CONSTRAINT ${quoteIdent(check.name)} CHECK (${check.expression})`);
  }
  for (const fk of table.foreignKeys) {
    const fkName = isDerivedForeignKey(table, fk) ? null : fk.name;
    items.push(`${constraintName(fkName)}FOREIGN KEY (${list(fk.columns)}) ${renderReferences(fk)}`);
  }
  const options = [
    ...(table.options.withoutRowid === true ? ['WITHOUT ROWID'] : []),
    ...(table.options.strict === true ? ['STRICT'] : []),
  ];
  const suffix = options.length === 0 ? '' : ` ${options.join(', ')}`;
  return `CREATE TABLE ${quoteIdent(name)} (\n  ${items.join(',\n  ')}\n)${suffix}`;
}

export function renderCreateIndex(table: Table, index: Index): string {
  const keys = index.keys.map((key) => {
    let sql = key.column === null ? (key.expression ?? '') : quoteIdent(key.column);
    if (key.collation !== null) sql += ` COLLATE ${renderCollation(key.collation)}`;
    else if (key.column !== null && inheritsCollation(table, key.column)) sql += ' COLLATE BINARY';
    if (key.order === 'desc') sql += ' DESC';
    return sql;
  });
  const unique = index.unique ? 'UNIQUE ' : '';
  const where = index.where === null ? '' : ` WHERE ${index.where}`;
  return `CREATE ${unique}INDEX ${quoteIdent(index.name)} ON ${quoteIdent(table.name)} (${keys.join(', ')})${where}`;
}

/** A key without COLLATE takes its column's collation; the model records BINARY as null. */
function inheritsCollation(table: Table, column: string): boolean {
  const collation = columnOf(table, column)?.collation ?? null;
  return collation !== null && collation.toUpperCase() !== 'BINARY';
}
