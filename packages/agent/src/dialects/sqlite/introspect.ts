import {
  type Column,
  type ConstraintKey,
  digest,
  type ForeignKey,
  type Index,
  type Namespace,
  type SchemaModel,
  type Table,
} from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import { byName } from '../../schema/schema-digest.js';
import { ACTION_FROM_SQL } from '../referential-actions.js';
import { indexClauses, tableClauses } from './ddl-text.js';

type Db = BetterSqlite3.Database;

interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}
interface XInfoRow {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}
interface IndexListRow {
  name: string;
  unique: number;
  origin: 'c' | 'u' | 'pk';
  partial: number;
}
interface IndexXInfoRow {
  seqno: number;
  cid: number;
  name: string | null;
  desc: number;
  coll: string | null;
  key: number;
}
interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
  match: string;
}
interface TableListRow {
  schema: string;
  name: string;
  wr: number;
  strict: number;
}

/**
 * Reads the `main` schema of a SQLite database into the neutral model, using the catalogue
 * pragmas for everything they report and the stored CREATE text only for what they do not
 * (CHECK and generated expressions, index expressions and predicates, constraint names).
 */
export function introspectSqlite(db: Db): SchemaModel {
  const rows = db
    .prepare<[], SchemaRow>(
      // sqlite_* objects are SQLite's own; isotyp_history is the change history Isotyp keeps in the target.
      "SELECT type, name, tbl_name, sql FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT IN ('isotyp_history')",
    )
    .all();
  const indexSql = new Map(rows.filter((r) => r.type === 'index').map((r) => [r.name, r.sql]));
  const tableList = new Map((db.pragma('main.table_list') as TableListRow[]).map((r) => [r.name, r]));

  const tables = rows.filter((r) => r.type === 'table').map((r) => readTable(db, r, indexSql, tableList.get(r.name)));
  const namespace: Namespace = {
    name: 'main',
    tables: byName(tables),
    views: byName(
      rows
        .filter((r) => r.type === 'view')
        .map((r) => ({
          name: r.name,
          materialized: false,
          columns: pragma<XInfoRow>(db, 'table_info', r.name).map((c) => c.name),
          definition: r.sql ?? '',
          definitionDigest: digest('definition', r.sql ?? ''),
          comment: null,
        })),
    ),
    enums: [],
    domains: [],
    sequences: [],
    routines: [],
    triggers: byName(
      rows
        .filter((r) => r.type === 'trigger')
        .map((r) => ({
          name: r.name,
          table: r.tbl_name,
          definition: r.sql ?? '',
          definitionDigest: digest('definition', r.sql ?? ''),
        })),
    ),
    comment: null,
  };
  return { v: 1, dialect: 'sqlite', namespaces: [namespace] };
}

function pragma<T>(db: Db, name: string, arg: string): T[] {
  // Pragmas take no bound parameters; quote the identifier the SQL way.
  return db.pragma(`main.${name}("${arg.replaceAll('"', '""')}")`) as T[];
}

function readTable(db: Db, row: SchemaRow, indexSql: Map<string, string | null>, listed?: TableListRow): Table {
  const sql = row.sql ?? '';
  const clauses = tableClauses(sql);
  const xinfo = pragma<XInfoRow>(db, 'table_xinfo', row.name).filter((c) => c.hidden !== 1);
  const columns: Column[] = xinfo.map((c) => ({
    name: c.name,
    type: c.type,
    nullable: c.notnull === 0,
    default: c.dflt_value,
    identity: null,
    generated:
      c.hidden === 2 || c.hidden === 3
        ? { expression: clauses.generated.get(c.name) ?? '', stored: c.hidden === 3 }
        : null,
    collation: clauses.collations.get(c.name) ?? null,
    comment: null,
    ...optional('notNullOnConflict', clauses.onConflict.notNull.get(c.name)),
  }));
  const pkColumns = xinfo
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);

  const uniques: Table['uniques'] = [];
  const indexes: Index[] = [];
  let pkKeys: ConstraintKey[] | undefined;
  for (const idx of pragma<IndexListRow>(db, 'index_list', row.name)) {
    const keys = pragma<IndexXInfoRow>(db, 'index_xinfo', idx.name)
      .filter((k) => k.key === 1)
      .sort((a, b) => a.seqno - b.seqno);
    // A rowid alias has no index, so pk keys come only from a non-alias key (e.g. INTEGER PRIMARY KEY DESC).
    if (idx.origin === 'pk') {
      pkKeys = constraintKeys(keys, columns);
      continue;
    }
    if (idx.origin === 'u') {
      const cols = keys.map((k) => k.name ?? '');
      const written = clauses.onConflict.uniques.find((u) => sameNames(u.columns, cols));
      uniques.push({
        name: `${row.name}_${cols.join('_')}_key`,
        columns: cols,
        nullsNotDistinct: false,
        ...optional('keys', constraintKeys(keys, columns)),
        ...optional('onConflict', written?.onConflict),
      });
      continue;
    }
    const text = indexClauses(indexSql.get(idx.name) ?? '');
    indexes.push({
      name: idx.name,
      unique: idx.unique === 1,
      keys: keys.map((k, i) => ({
        column: k.cid === -2 ? null : k.name,
        expression: k.cid === -2 ? (text.keys[i] ?? null) : null,
        order: k.desc === 1 ? 'desc' : 'asc',
        nulls: null,
        collation: k.coll === null || k.coll === 'BINARY' ? null : k.coll,
      })),
      include: [],
      where: idx.partial === 1 ? text.where : null,
      method: null,
      comment: null,
    });
  }

  // SQLite does not name unnamed checks; derive a name from the expression so it does not
  // shift when other checks are added or removed.
  const checks = clauses.checks.map((c) => ({
    name: c.name ?? `${row.name}_${c.column ?? 'check'}_${digest('definition', c.expression).slice(7, 15)}`,
    expression: c.expression,
  }));
  const options: Table['options'] = {};
  if (listed?.wr === 1) options.withoutRowid = true;
  if (listed?.strict === 1) options.strict = true;
  if (clauses.autoincrement) options.autoincrement = true;

  return {
    name: row.name,
    columns,
    primaryKey:
      pkColumns.length === 0
        ? null
        : {
            name: clauses.primaryKeyName,
            columns: pkColumns,
            ...optional('keys', pkKeys),
            ...optional('onConflict', clauses.onConflict.primaryKey ?? undefined),
          },
    uniques: byName(uniques),
    indexes: byName(indexes),
    foreignKeys: byName(readForeignKeys(db, row.name, clauses.foreignKeys)),
    checks: byName(checks),
    options,
    comment: null,
  };
}

/** `{[key]: value}`, or nothing when value is undefined: optional fields stay absent. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const collationKey = (name: string | null) => (name === null || name.toUpperCase() === 'BINARY' ? null : name);

/**
 * The keys of a PRIMARY KEY or UNIQUE constraint's automatic index, or undefined when every key
 * compares as its column would anyway (the column's collation, ascending): the common case,
 * whose model and digest stay as they were before keys were recorded.
 */
function constraintKeys(keys: IndexXInfoRow[], columns: Column[]): ConstraintKey[] | undefined {
  const inherited = (k: IndexXInfoRow) => {
    const own = collationKey(columns.find((c) => c.name === k.name)?.collation ?? null);
    return collationKey(k.coll)?.toUpperCase() === own?.toUpperCase();
  };
  if (keys.every((k) => k.desc === 0 && inherited(k))) return undefined;
  return keys.map((k) => ({ collation: collationKey(k.coll), order: k.desc === 1 ? 'desc' : 'asc' }));
}

/** SQLite compares column names case-insensitively. */
const sameNames = (a: string[], b: string[]) =>
  a.length === b.length && a.every((name, i) => name.toLowerCase() === b[i]?.toLowerCase());

function readForeignKeys(db: Db, table: string, written: ReturnType<typeof tableClauses>['foreignKeys']): ForeignKey[] {
  const groups = new Map<number, ForeignKeyRow[]>();
  for (const r of pragma<ForeignKeyRow>(db, 'foreign_key_list', table)) {
    groups.set(r.id, [...(groups.get(r.id) ?? []), r]);
  }
  return [...groups.values()].map((parts) => {
    parts.sort((a, b) => a.seq - b.seq);
    const first = parts[0] as ForeignKeyRow;
    const columns = parts.map((p) => p.from);
    // A reference without columns means the parent's primary key.
    const refColumns = parts.every((p) => p.to !== null)
      ? parts.map((p) => p.to as string)
      : pragma<XInfoRow>(db, 'table_info', first.table)
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
    const text = written.find(
      (w) =>
        w.refTable.toLowerCase() === first.table.toLowerCase() && w.columns.join('\u0000') === columns.join('\u0000'),
    );
    return {
      name: text?.name ?? `${table}_${columns.join('_')}_fkey`,
      columns,
      refSchema: null,
      refTable: first.table,
      refColumns,
      onDelete: ACTION_FROM_SQL[first.on_delete] ?? 'no-action',
      onUpdate: ACTION_FROM_SQL[first.on_update] ?? 'no-action',
      match: 'simple',
      deferrable: text?.deferrable ?? false,
      initiallyDeferred: text?.initiallyDeferred ?? false,
    };
  });
}
