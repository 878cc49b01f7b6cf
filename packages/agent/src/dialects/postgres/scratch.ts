import { randomBytes } from 'node:crypto';
import { IsotypError, type SchemaModel } from '@isotyp/protocol';
import type pg from 'pg';
import { redactTargetUrl } from '../../target/target-url.js';
import { openPostgres } from './client.js';
import { introspectPostgres } from './introspect.js';
import { type PreparedScript, prepareScript, runScript } from './load-script.js';

export interface LoadDesiredOptions {
  /** A database on the server to create the scratch database on; normally the target's URL. */
  serverUrl: string;
  /** How to name the file in errors, e.g. the path the user gave (when given one text). */
  fileName: string;
  /**
   * An empty database to load into instead (`--dev-url`), for users who may not create
   * databases. The file runs inside a transaction that is rolled back, so it stays empty.
   */
  devUrl?: string;
  /** Password for URLs that carry none (see PostgresTarget). */
  password?: string;
  connectTimeoutMs?: number;
}

/** One file of a schema directory, run in order with the others. */
export interface DesiredFile {
  name: string;
  text: string;
}

/**
 * The desired state: `sqlText` (or several files, in order) loaded into a throwaway database on the target's own server
 * (so the server, not a hand-written parser, decides what it means) and introspected. The
 * scratch database `isotyp_scratch_<random>` is dropped whatever happens.
 *
 * @example
 * const desired = await loadDesiredPostgres(readFileSync('schema.sql', 'utf8'), {
 *   serverUrl: 'postgres://isotyp@db/app',
 *   fileName: 'schema.sql',
 * });
 */
export async function loadDesiredPostgres(
  sqlText: string | readonly DesiredFile[],
  options: LoadDesiredOptions,
): Promise<SchemaModel> {
  const files = typeof sqlText === 'string' ? [{ name: options.fileName, text: sqlText }] : sqlText;
  // Every file is checked before anything is created on the server.
  const scripts = files.map((f) => prepareScript(f.text, f.name));
  return options.devUrl === undefined
    ? loadIntoScratch(scripts, options)
    : loadIntoDev(scripts, options.devUrl, options);
}

async function loadIntoScratch(scripts: PreparedScript[], options: LoadDesiredOptions): Promise<SchemaModel> {
  const connect = (url: string): Promise<pg.Client> =>
    openPostgres({ url, password: options.password, connectTimeoutMs: options.connectTimeoutMs });
  const admin = await connect(options.serverUrl);
  const name = `isotyp_scratch_${randomBytes(8).toString('hex')}`;
  try {
    await createScratch(admin, name, options.serverUrl);
    let failure: unknown = null;
    try {
      const url = withDatabase(options.serverUrl, name);
      const loader = await connect(url);
      try {
        for (const script of scripts) await runScript(loader, script, false);
      } finally {
        await loader.end();
      }
      // A fresh session: whatever the file SET (search_path, role, …) does not colour the read.
      const reader = await connect(url);
      try {
        return await introspectPostgres(reader);
      } finally {
        await reader.end();
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await dropScratch(admin, name, failure);
    }
  } finally {
    await admin.end();
  }
}

async function createScratch(admin: pg.Client, name: string, serverUrl: string): Promise<void> {
  try {
    // template0 is pristine: nothing the server's owner added to template1 leaks in.
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42501') {
      throw new IsotypError(
        'ISOTYP_FORBIDDEN',
        `The user of ${redactTargetUrl(serverUrl)} may not create databases, which loading a schema file needs.`,
        {
          hint: 'Grant that user CREATEDB, or pass --dev-url with an empty database to load the file into.',
          cause: error,
        },
      );
    }
    throw new IsotypError('ISOTYP_TARGET_UNREACHABLE', `Could not create a scratch database: ${String(error)}.`, {
      hint: 'Check that the server accepts new databases (disk space, connection limits).',
      details: { driverCode: code ?? null },
      cause: error,
    });
  }
}

async function dropScratch(admin: pg.Client, name: string, failure: unknown): Promise<void> {
  try {
    // FORCE ends any session the file's load left behind (PostgreSQL 13+).
    const version = Number(
      (await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
    );
    await admin.query(`DROP DATABASE IF EXISTS ${name}${version >= 130000 ? ' WITH (FORCE)' : ''}`);
  } catch (error) {
    // Do not hide the error that brought us here behind a cleanup failure.
    if (failure !== null) return;
    throw new IsotypError('ISOTYP_TARGET_UNREACHABLE', `The scratch database ${name} could not be dropped.`, {
      hint: `Drop it by hand: DROP DATABASE ${name};`,
      cause: error,
    });
  }
}

/** `url` pointing at database `name` on the same server, with everything else kept. */
function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

async function loadIntoDev(
  scripts: PreparedScript[],
  devUrl: string,
  options: LoadDesiredOptions,
): Promise<SchemaModel> {
  const client = await openPostgres({
    url: devUrl,
    password: options.password,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  try {
    assertEmpty(await introspectPostgres(client), devUrl);
    await client.query('BEGIN');
    try {
      for (const script of scripts) await runScript(client, script, true);
      return await introspectPostgres(client, { inTransaction: true });
    } finally {
      await client.query('ROLLBACK').catch(() => {});
    }
  } finally {
    await client.end();
  }
}

/** A dev database must be as created: only an empty `public` schema and PL/pgSQL. */
function assertEmpty(model: SchemaModel, devUrl: string): void {
  const found: string[] = [];
  for (const ns of model.namespaces) {
    if (ns.name !== 'public') found.push(`schema ${ns.name}`);
    for (const kind of ['tables', 'views', 'enums', 'domains', 'sequences', 'routines', 'triggers'] as const) {
      for (const item of ns[kind]) found.push(`${kind.replace(/s$/, '')} ${ns.name}.${item.name}`);
    }
  }
  for (const ext of model.extensions ?? []) if (ext.name !== 'plpgsql') found.push(`extension ${ext.name}`);
  if (found.length === 0) return;
  const listed = found.slice(0, 5).join(', ') + (found.length > 5 ? `, and ${found.length - 5} more` : '');
  throw new IsotypError('ISOTYP_CONFLICT', `The dev database ${redactTargetUrl(devUrl)} is not empty: ${listed}.`, {
    hint: 'Point --dev-url at an empty database (createdb isotyp_dev); Isotyp rolls back what it loads, so it stays empty.',
    details: { objects: found.length },
  });
}
