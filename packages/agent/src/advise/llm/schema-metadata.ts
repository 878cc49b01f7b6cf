import type { Index, SchemaModel, Table } from '@isotyp/protocol';

/*
 * What an LLM may see of a schema: names, types, nullability and keys — the shape, nothing
 * that can hold a value. Left out on purpose: defaults, comments, CHECK and generated-column
 * expressions, partial-index predicates, view/routine/trigger definitions (all of which can
 * carry literals someone typed), and of course rows, connection strings and credentials.
 * Index key expressions stay in: without them an LLM would propose indexes that already exist.
 */

export interface ColumnMetadata {
  name: string;
  type: string;
  nullable: boolean;
}

/** A key of an index: a column, or an expression such as `lower(email)`. */
export type IndexKeyMetadata = { column: string } | { expression: string };

export interface IndexMetadata {
  name: string;
  unique: boolean;
  keys: IndexKeyMetadata[];
  /** Present (true) for a partial index; its predicate is not sent. */
  partial?: true;
}

export interface ForeignKeyMetadata {
  columns: string[];
  refNamespace: string | null;
  refTable: string;
  refColumns: string[];
}

export interface TableMetadata {
  name: string;
  columns: ColumnMetadata[];
  primaryKey: string[] | null;
  uniques: { name: string; columns: string[] }[];
  indexes: IndexMetadata[];
  foreignKeys: ForeignKeyMetadata[];
}

export interface SchemaMetadata {
  dialect: SchemaModel['dialect'];
  namespaces: { name: string; tables: TableMetadata[] }[];
}

/**
 * The summary of a schema model that the LLM provider sends: structure only, built field by
 * field (never by copying and deleting) so a field added to the model later stays at the site
 * until someone decides it may leave.
 *
 * @example
 * const sent = JSON.stringify(schemaMetadata(model)); // no defaults, comments or rows
 */
export function schemaMetadata(model: SchemaModel): SchemaMetadata {
  return {
    dialect: model.dialect,
    namespaces: model.namespaces.map((namespace) => ({
      name: namespace.name,
      tables: namespace.tables.map(tableMetadata),
    })),
  };
}

function tableMetadata(table: Table): TableMetadata {
  return {
    name: table.name,
    columns: table.columns.map((column) => ({ name: column.name, type: column.type, nullable: column.nullable })),
    primaryKey: table.primaryKey === null ? null : [...table.primaryKey.columns],
    uniques: table.uniques.map((unique) => ({ name: unique.name, columns: [...unique.columns] })),
    indexes: table.indexes.map(indexMetadata),
    foreignKeys: table.foreignKeys.map((fk) => ({
      columns: [...fk.columns],
      refNamespace: fk.refSchema,
      refTable: fk.refTable,
      refColumns: [...fk.refColumns],
    })),
  };
}

function indexMetadata(index: Index): IndexMetadata {
  return {
    name: index.name,
    unique: index.unique,
    keys: index.keys.map((key) =>
      key.column === null ? { expression: key.expression ?? '' } : { column: key.column },
    ),
    ...(index.where === null ? {} : { partial: true as const }),
  };
}
