import type { Column, Index, Namespace, SchemaModel, Table } from '@isotyp/protocol';

/** Builders for neutral-model fixtures in unit tests: every field set, overridable. */
export const col = (name: string, type = 'INTEGER', extra: Partial<Column> = {}): Column => ({
  name,
  type,
  nullable: true,
  default: null,
  identity: null,
  generated: null,
  collation: null,
  comment: null,
  ...extra,
});

export const table = (name: string, columns: Column[], extra: Partial<Table> = {}): Table => ({
  name,
  columns,
  primaryKey: null,
  uniques: [],
  indexes: [],
  foreignKeys: [],
  checks: [],
  options: {},
  comment: null,
  ...extra,
});

export const index = (name: string, columns: string[], extra: Partial<Index> = {}): Index => ({
  name,
  unique: false,
  keys: columns.map((column) => ({ column, expression: null, order: 'asc' as const, nulls: null, collation: null })),
  include: [],
  where: null,
  method: null,
  comment: null,
  ...extra,
});

export const model = (
  tables: Table[],
  extra: Partial<Namespace> = {},
  dialect: SchemaModel['dialect'] = 'postgres',
): SchemaModel => ({
  v: 1,
  dialect,
  namespaces: [
    {
      name: dialect === 'sqlite' ? 'main' : 'public',
      tables,
      views: [],
      enums: [],
      domains: [],
      sequences: [],
      routines: [],
      triggers: [],
      comment: null,
      ...extra,
    },
  ],
});
