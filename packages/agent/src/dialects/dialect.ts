import type { Dialect as DialectName, SchemaModel } from '@isotyp/protocol';

/** What a dialect can and cannot do; planners and the executor branch on these, not on names. */
export interface DialectCapabilities {
  /** DDL runs inside a transaction and rolls back with it. */
  transactionalDdl: boolean;
  /** Objects live in named schemas (namespaces) beyond a single default. */
  namespaces: boolean;
  /** ALTER TABLE can change a column's type in place (otherwise the table is rebuilt). */
  alterColumnType: boolean;
}

/** An open connection to one target database. */
export interface DialectConnection {
  /** Reads the live schema into the neutral model. */
  introspect(): Promise<SchemaModel>;
  /**
   * Approximate rows per table, keyed `namespace.table`, for lint rules that weigh locks.
   * Read locally; never sent anywhere.
   */
  rowCounts(): Promise<Map<string, number>>;
  /** The server's version (SQLite library version; PostgreSQL server_version_num). */
  serverVersion(): Promise<string>;
  close(): Promise<void>;
}

/** One database engine behind a common face (Kysely-style: driver + introspector + capabilities). */
export interface Dialect<Target = unknown> {
  readonly name: DialectName;
  readonly capabilities: DialectCapabilities;
  connect(target: Target): Promise<DialectConnection>;
}
