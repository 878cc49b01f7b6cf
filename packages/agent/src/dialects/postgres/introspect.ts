import {
  digest,
  IsotypError,
  isIsotypError,
  type Namespace,
  type SchemaModel,
  type Table,
  type View,
} from '@isotyp/protocol';
import type pg from 'pg';
import { emptyNamespace } from '../../schema/empty.js';
import { byName } from '../../schema/schema-digest.js';
import {
  byNameThen,
  type CatalogContext,
  commentJoin,
  INTROSPECTION_SETTINGS,
  rows,
  userNamespace,
} from './catalog-sql.js';
import { isConnectionLoss, sqlStateOf } from './client.js';
import { NO_CONSTRAINTS, readConstraints } from './introspect-constraints.js';
import { readIndexes } from './introspect-indexes.js';
import { readRelations, tableOptions, viewOptions } from './introspect-relations.js';
import { readRoutines, readTriggers } from './introspect-routines.js';
import { readSequences } from './introspect-sequences.js';
import { type InSchema, readDomains, readEnums } from './introspect-types.js';

export interface IntrospectOptions {
  /**
   * The caller already holds a transaction open on `client` (a dev database loaded inside a
   * transaction it will roll back): read inside it instead of opening a read-only snapshot.
   */
  inTransaction?: boolean;
}

/** PostgreSQL versions whose catalogues the queries are written for. */
export const MIN_SERVER_VERSION = 120000;

/**
 * Reads every user schema of the connected database into the neutral model: one query per
 * kind of object for the whole database, in one REPEATABLE READ snapshot, with output
 * settings pinned so that two databases built from the same DDL give byte-identical models.
 *
 * @example
 * const model = await introspectPostgres(client);
 */
export async function introspectPostgres(client: pg.ClientBase, options: IntrospectOptions = {}): Promise<SchemaModel> {
  const own = options.inTransaction !== true;
  if (own) await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(INTROSPECTION_SETTINGS);
    const version = (await client.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v"))
      .rows[0]?.v;
    if (version === undefined || version < MIN_SERVER_VERSION) {
      throw new IsotypError('ISOTYP_TARGET_INVALID', `PostgreSQL ${version ?? '?'} is older than Isotyp supports.`, {
        hint: 'Isotyp reads the catalogues of PostgreSQL 12 and later; upgrade the server.',
      });
    }
    return await readModel({ client: backToBack(client), version });
  } catch (error) {
    throw introspectionError(error);
  } finally {
    // Nothing was written; ending with ROLLBACK also drops the SET LOCALs. If the connection
    // is gone the error above already says so.
    if (own) await client.query('ROLLBACK').catch(() => {});
  }
}

/**
 * `client` for the catalogue queries, one at a time as node-pg wants them, but back to back:
 * the next waiting query is sent the moment one completes, before whoever awaits the one that
 * completed resumes. Left to the readers, the server would sit idle while each query's rows
 * are processed and until the next query arrives. Once a query fails the rest are not sent
 * (the transaction is aborted anyway): they fail with the same error.
 */
function backToBack(client: pg.ClientBase): pg.ClientBase {
  const waiting: { sql: string; resolve: (result: pg.QueryResult) => void; reject: (error: unknown) => void }[] = [];
  let busy = false;
  let failure: { error: unknown } | undefined;
  const next = (): void => {
    const item = waiting.shift();
    busy = item !== undefined;
    if (item === undefined) return;
    if (failure !== undefined) {
      item.reject(failure.error);
      next();
      return;
    }
    let sent: Promise<pg.QueryResult>;
    try {
      sent = client.query(item.sql);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (result) => {
        next();
        item.resolve(result);
      },
      (error: unknown) => {
        failure = { error };
        next();
        item.reject(error);
      },
    );
  };
  const query = (sql: string): Promise<pg.QueryResult> =>
    new Promise((resolve, reject) => {
      waiting.push({ sql, resolve, reject });
      if (!busy) next();
    });
  // The catalogue readers only ever call query(sql) (catalog-sql.ts rows()).
  return { query } as unknown as pg.ClientBase;
}

function introspectionError(error: unknown): IsotypError {
  if (isIsotypError(error)) return error;
  if (isConnectionLoss(error)) {
    return new IsotypError('ISOTYP_TARGET_UNREACHABLE', 'The connection was lost while reading the schema.', {
      hint: 'Check that the server is up and retry.',
      cause: error,
    });
  }
  // A catalogue query the server rejects is a bug here, not a problem with the database.
  const sqlState = sqlStateOf(error);
  return new IsotypError('ISOTYP_INTERNAL', `Reading the PostgreSQL catalogue failed (${sqlState ?? 'no SQLSTATE'}).`, {
    hint: 'Re-run with --verbose and report it, with the server version.',
    details: { sqlState },
    cause: error,
  });
}

/**
 * Every reader is started at once, so every query is queued at once (see backToBack): the
 * server runs each query while the client turns the rows of the ones before into the model —
 * the tables are built while the smaller kinds of object are still being read. Each group is
 * awaited through Promise.all, which handles the failure of every query in it; the second
 * group's failure is also marked handled at once, as it may come while the first is awaited.
 */
async function readModel(ctx: CatalogContext): Promise<SchemaModel> {
  const relationsRead = readRelations(ctx);
  const tableParts = Promise.all([
    readNamespaces(ctx),
    relationsRead,
    readConstraints(
      ctx,
      relationsRead.then((r) => r.attnames),
    ),
    readIndexes(ctx),
  ]);
  const otherParts = Promise.all([
    readEnums(ctx),
    readDomains(ctx),
    readSequences(ctx),
    readRoutines(ctx),
    readTriggers(ctx),
    readExtensions(ctx),
  ]);
  otherParts.catch(() => {});
  try {
    const [namespaceList, { relations, columns }, constraints, indexes] = await tableParts;
    const namespaces = new Map<string, Namespace>();
    for (const ns of namespaceList) namespaces.set(ns.name, ns);
    const into = (schema: string): Namespace => {
      const ns = namespaces.get(schema);
      // Every object query filters schemas exactly as readNamespaces does.
      if (ns === undefined) throw new Error(`object in unlisted schema ${schema}`);
      return ns;
    };

    for (const rel of relations) {
      const ns = into(rel.schema);
      if (rel.kind === 'v' || rel.kind === 'm') {
        const view: View = {
          name: rel.name,
          materialized: rel.kind === 'm',
          columns: (columns.get(rel.oid) ?? []).map((c) => c.name),
          definition: rel.definition ?? '',
          definitionDigest: digest('definition', rel.definition ?? ''),
          comment: rel.comment,
          indexes: byName(indexes.get(rel.oid) ?? []),
          options: viewOptions(rel),
        };
        ns.views.push(view);
      } else {
        const table: Table = {
          name: rel.name,
          // PostgreSQL can only append columns, so their order is not part of the schema's
          // identity: sorted by name, a column added in the middle of schema.sql plans as one ADD.
          columns: byName([...(columns.get(rel.oid) ?? [])]),
          ...(constraints.get(rel.oid) ?? NO_CONSTRAINTS),
          indexes: byName(indexes.get(rel.oid) ?? []),
          options: tableOptions(rel),
          comment: rel.comment,
        };
        ns.tables.push(table);
      }
    }
    const [enums, domains, sequences, routines, triggers, extensions] = await otherParts;
    const place = <K extends 'enums' | 'domains' | 'sequences' | 'routines' | 'triggers'>(
      key: K,
      items: InSchema<Namespace[K][number]>[],
    ): void => {
      for (const item of items) (into(item.schema)[key] as Namespace[K][number][]).push(item.value);
    };
    place('enums', enums);
    place('domains', domains);
    place('sequences', sequences);
    place('routines', routines);
    place('triggers', triggers);

    for (const ns of namespaces.values()) {
      byName(ns.tables);
      byName(ns.views);
      byName(ns.enums);
      byName(ns.domains);
      byName(ns.sequences);
      // Overloads share a name, and so do triggers on different tables.
      byNameThen(ns.routines, (r) => r.arguments);
      byNameThen(ns.triggers, (t) => t.table);
    }
    return {
      v: 1,
      dialect: 'postgres',
      namespaces: byName([...namespaces.values()]),
      extensions,
    };
  } catch (error) {
    // The caller rolls back next: let the queries still queued on the connection settle first.
    await Promise.allSettled([tableParts, otherParts]);
    throw error;
  }
}

const namespacesSql = `
SELECT n.nspname AS name, d.description AS comment
FROM pg_namespace n
${commentJoin('d', 'pg_namespace', 'n.oid')}
WHERE ${userNamespace('n')}`;

async function readNamespaces(ctx: CatalogContext): Promise<Namespace[]> {
  return (await rows<{ name: string; comment: string | null }>(ctx, namespacesSql)).map((r) =>
    emptyNamespace(r.name, r.comment),
  );
}

// The version is left out: a database created today gets the server's default version, so
// recording it would flag every older database as different without a schema change.
const extensionsSql = `
SELECT e.extname AS name, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace`;

async function readExtensions(ctx: CatalogContext): Promise<NonNullable<SchemaModel['extensions']>> {
  return byName(await rows<{ name: string; schema: string }>(ctx, extensionsSql));
}
