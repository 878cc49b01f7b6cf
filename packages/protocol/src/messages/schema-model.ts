import { z } from 'zod';
import { digestSchema } from '../digest.js';
import { dialectSchema, objectNameSchema } from './common.js';

/*
 * The dialect-neutral schema model. Introspection of a live database and of a desired-state
 * file both produce it; its canonical JSON digests to the schema digest. Lists are sorted by
 * name by the producer so the digest does not depend on catalogue order. Large integers
 * (sequence bounds) are decimal strings so JSON carries them exactly.
 */

const name = objectNameSchema;
const nullableText = z.string().nullable();
const int64 = z.string().regex(/^-?\d{1,20}$/, 'expected a decimal integer');

/*
 * Fields marked "added for PostgreSQL" are optional so models written before them (and
 * dialects without the concept, like SQLite) stay valid and keep their digests. A PostgreSQL
 * producer always fills them, so its digests do cover them.
 */
/** A comment on a constraint or trigger (added for PostgreSQL: COMMENT ON CONSTRAINT / TRIGGER). */
const optionalComment = nullableText.optional();

/*
 * Fields marked "added for SQLite" are optional in the same way: introspection fills them only
 * when the table departs from the default, so a schema without the feature keeps its digest.
 */

/**
 * A constraint's conflict resolution, `ON CONFLICT …` in SQLite (added for SQLite). Absent means
 * ABORT, the default, so ABORT has no value of its own and each behaviour one representation.
 */
export const onConflictSchema = z.enum(['rollback', 'fail', 'ignore', 'replace']);

/**
 * How a PRIMARY KEY or UNIQUE constraint compares one of its columns (added for SQLite, e.g.
 * `UNIQUE (email COLLATE NOCASE)`): the collation in effect (null for BINARY) and the order.
 */
export const constraintKeySchema = z.strictObject({ collation: nullableText, order: z.enum(['asc', 'desc']) });

export const columnSchema = z.strictObject({
  name,
  /** The type as the dialect spells it, normalised (e.g. `integer`, `character varying(40)`). */
  type: z.string().min(1),
  nullable: z.boolean(),
  /** The default as an SQL expression, or null. */
  default: nullableText,
  identity: z.strictObject({ generation: z.enum(['always', 'by-default']), start: int64, increment: int64 }).nullable(),
  generated: z.strictObject({ expression: z.string(), stored: z.boolean() }).nullable(),
  collation: nullableText,
  comment: nullableText,
  /** ON CONFLICT of the column's NOT NULL constraint (added for SQLite). */
  notNullOnConflict: onConflictSchema.optional(),
});

export const indexKeySchema = z.strictObject({
  /** A column name, or null when the key is an expression. */
  column: name.nullable(),
  expression: nullableText,
  order: z.enum(['asc', 'desc']),
  nulls: z.enum(['first', 'last']).nullable(),
  collation: nullableText,
  /** Non-default operator class, e.g. `text_pattern_ops` (added for PostgreSQL). */
  opclass: nullableText.optional(),
});

export const indexSchema = z.strictObject({
  name,
  unique: z.boolean(),
  keys: z.array(indexKeySchema).min(1),
  /** Columns carried by INCLUDE (PostgreSQL). */
  include: z.array(name),
  /** Partial-index predicate. */
  where: nullableText,
  /** Access method (btree, gin, …); null where the dialect has one. */
  method: nullableText,
  comment: nullableText,
  /** UNIQUE NULLS NOT DISTINCT on a plain unique index (added for PostgreSQL 15+). */
  nullsNotDistinct: z.boolean().optional(),
  /** Present (true) only for an index PostgreSQL marks invalid, e.g. after a failed concurrent build. */
  invalid: z.literal(true).optional(),
});

export const referentialActionSchema = z.enum(['no-action', 'restrict', 'cascade', 'set-null', 'set-default']);

export const foreignKeySchema = z.strictObject({
  name,
  columns: z.array(name).min(1),
  refSchema: name.nullable(),
  refTable: name,
  refColumns: z.array(name).min(1),
  onDelete: referentialActionSchema,
  onUpdate: referentialActionSchema,
  match: z.enum(['simple', 'full', 'partial']),
  deferrable: z.boolean(),
  initiallyDeferred: z.boolean(),
  comment: optionalComment,
});

export const uniqueConstraintSchema = z.strictObject({
  name,
  columns: z.array(name).min(1),
  nullsNotDistinct: z.boolean(),
  comment: optionalComment,
  /**
   * One per column, present only when some column does not compare as the column itself
   * would (its own collation, ascending) (added for SQLite).
   */
  keys: z.array(constraintKeySchema).min(1).optional(),
  onConflict: onConflictSchema.optional(),
});

export const primaryKeySchema = z.strictObject({
  name: name.nullable(),
  columns: z.array(name).min(1),
  comment: optionalComment,
  /**
   * As on a unique constraint (added for SQLite). `INTEGER PRIMARY KEY DESC` has one
   * descending key: unlike `INTEGER PRIMARY KEY` it is not an alias of the rowid.
   */
  keys: z.array(constraintKeySchema).min(1).optional(),
  onConflict: onConflictSchema.optional(),
});

export const checkSchema = z.strictObject({ name, expression: z.string().min(1), comment: optionalComment });

/**
 * An exclusion constraint (added for PostgreSQL): `definition` is the constraint as the
 * database prints it, e.g. `EXCLUDE USING gist (room WITH =, during WITH &&)`.
 */
export const exclusionSchema = z.strictObject({ name, definition: z.string().min(1), comment: optionalComment });

export const tableSchema = z.strictObject({
  name,
  columns: z.array(columnSchema),
  primaryKey: primaryKeySchema.nullable(),
  uniques: z.array(uniqueConstraintSchema),
  indexes: z.array(indexSchema),
  foreignKeys: z.array(foreignKeySchema),
  checks: z.array(checkSchema),
  /** Exclusion constraints (added for PostgreSQL). */
  exclusions: z.array(exclusionSchema).optional(),
  /** Dialect table options (SQLite WITHOUT ROWID / STRICT, PostgreSQL partitioning…). */
  options: z.record(z.string(), z.union([z.string(), z.boolean()])),
  comment: nullableText,
});

/** Objects kept as their full definition plus its digest (views, functions, triggers). */
const definition = {
  definition: z.string(),
  definitionDigest: digestSchema,
};

export const viewSchema = z.strictObject({
  name,
  materialized: z.boolean(),
  columns: z.array(name),
  ...definition,
  comment: nullableText,
  /** Indexes on a materialized view (added for PostgreSQL). */
  indexes: z.array(indexSchema).optional(),
  /** View options, e.g. `with: 'check_option=local, security_barrier=true'` (added for PostgreSQL). */
  options: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
});

export const enumSchema = z.strictObject({ name, values: z.array(z.string()), comment: nullableText });

export const domainSchema = z.strictObject({
  name,
  type: z.string().min(1),
  nullable: z.boolean(),
  default: nullableText,
  checks: z.array(checkSchema),
  collation: nullableText,
  comment: nullableText,
});

export const sequenceSchema = z.strictObject({
  name,
  type: z.string().min(1),
  start: int64,
  increment: int64,
  min: int64,
  max: int64,
  cache: int64,
  cycle: z.boolean(),
  /** `table.column` owning the sequence, or null. */
  ownedBy: nullableText,
  comment: nullableText,
});

export const routineSchema = z.strictObject({
  name,
  kind: z.enum(['function', 'procedure', 'aggregate']),
  /** Identity arguments, e.g. `integer, text`, which tell overloads apart. */
  arguments: z.string(),
  language: z.string(),
  ...definition,
  comment: nullableText,
});

export const triggerSchema = z.strictObject({
  name,
  table: name,
  ...definition,
  comment: optionalComment,
});

export const namespaceSchema = z.strictObject({
  /** `main` for SQLite; the schema name for PostgreSQL. */
  name,
  tables: z.array(tableSchema),
  views: z.array(viewSchema),
  enums: z.array(enumSchema),
  domains: z.array(domainSchema),
  sequences: z.array(sequenceSchema),
  routines: z.array(routineSchema),
  triggers: z.array(triggerSchema),
  comment: nullableText,
});

/**
 * An installed extension (added for PostgreSQL). Its member objects are not in the model;
 * this records that the extension itself is there and in which schema.
 */
export const extensionSchema = z.strictObject({ name, schema: name });

export const schemaModelSchema = z.strictObject({
  v: z.literal(1),
  dialect: dialectSchema,
  namespaces: z.array(namespaceSchema),
  /** Installed extensions, sorted by name (added for PostgreSQL). */
  extensions: z.array(extensionSchema).optional(),
});

export type Column = z.infer<typeof columnSchema>;
export type Index = z.infer<typeof indexSchema>;
export type PrimaryKey = z.infer<typeof primaryKeySchema>;
export type UniqueConstraint = z.infer<typeof uniqueConstraintSchema>;
export type ConstraintKey = z.infer<typeof constraintKeySchema>;
export type OnConflict = z.infer<typeof onConflictSchema>;
export type ForeignKey = z.infer<typeof foreignKeySchema>;
export type Table = z.infer<typeof tableSchema>;
export type View = z.infer<typeof viewSchema>;
export type Namespace = z.infer<typeof namespaceSchema>;
export type SchemaModel = z.infer<typeof schemaModelSchema>;
