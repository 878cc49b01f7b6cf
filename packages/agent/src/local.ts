import { createRequire } from 'node:module';
import { IsotypError } from '@isotyp/protocol';
import type { ChangeRunner } from './apply/session.js';
import { cachedDesired, type DesiredModel } from './desired/cache.js';
import { loadDesiredSqlite } from './desired/load-sqlite.js';
import { parseDirectives, readSchemaSource, type SchemaFile } from './desired/schema-source.js';
import type { DialectConnection } from './dialects/dialect.js';
import { postgresPlanner } from './dialects/postgres/planner.js';
import { postgresRunner } from './dialects/postgres/runner.js';
import { loadDesiredPostgres } from './dialects/postgres/scratch.js';
import { sqlitePlanner } from './dialects/sqlite/planner.js';
import { sqliteRunner } from './dialects/sqlite/runner.js';
import type { RenameHint } from './diff/changes.js';
import { connectTarget } from './inspect.js';
import { type Finding, type LintConfig, lintChange } from './lint/lint.js';
import type { MigrationDialect } from './migrate/migrate.js';
import { createPlan, type PlanResult } from './plan/create-plan.js';
import { parseTargetUrl, type TargetUrl } from './target/target-url.js';

const AGENT_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface LocalPlanOptions {
  /** `--schema`: a .sql file or a directory of them. */
  schema: string;
  /** Renames given on the command line, added to the directives in the schema files. */
  renames?: RenameHint[];
  concurrentIndexes?: boolean;
  lint?: LintConfig;
  /** PostgreSQL: an empty database to load the schema into instead of a scratch database. */
  devUrl?: string;
  /** Where desired-state models are cached (under $ISOTYP_HOME); no caching when absent. */
  cacheDir?: string;
}

export interface LocalPlan extends PlanResult {
  /** The target with any password redacted. */
  target: string;
  lint: Finding[];
  /** True when the desired model came from the cache instead of a scratch database. */
  desiredCached: boolean;
}

/**
 * Plans the changes that take a live target to the desired state in `--schema`: introspect the
 * target, load the schema into a scratch database of the same dialect, diff, plan, lint.
 */
export async function planTarget(targetUrl: string, options: LocalPlanOptions): Promise<LocalPlan> {
  const target = parseTargetUrl(targetUrl);
  const files = readSchemaSource(options.schema);
  const directives = parseDirectives(files);
  const renames = [...directives.renames, ...(options.renames ?? [])];
  const connection = await connectTarget(targetUrl);
  try {
    const live = await connection.introspect();
    const desired = await loadDesired(target, files, connection, options);
    const planner = target.dialect === 'sqlite' ? sqlitePlanner : postgresPlanner;
    const result = createPlan(
      live,
      desired.model,
      planner,
      { renames, concurrentIndexes: options.concurrentIndexes ?? false },
      // A cached desired model comes with its digest: no need to digest it again.
      desired.digest === undefined ? {} : { to: desired.digest },
    );
    const lint = lintChange(
      {
        dialect: live.dialect,
        from: live,
        to: desired.model,
        changes: result.changes,
        ops: result.plan.ops,
        rowCounts: await connection.rowCounts(),
      },
      options.lint,
      directives.lintIgnores,
    );
    return { target: target.display, ...result, lint, desiredCached: desired.cached };
  } finally {
    await connection.close();
  }
}

async function loadDesired(
  target: TargetUrl,
  files: SchemaFile[],
  connection: DialectConnection,
  options: LocalPlanOptions,
): Promise<DesiredModel> {
  switch (target.dialect) {
    case 'sqlite':
      // In memory it takes milliseconds: not worth a cache.
      return { model: loadDesiredSqlite(files), cached: false };
    case 'postgres': {
      const key = {
        files,
        dialect: target.dialect,
        serverVersion: await connection.serverVersion(),
        agentVersion: AGENT_VERSION,
      };
      return cachedDesired(options.cacheDir, key, () =>
        loadDesiredPostgres(files, {
          serverUrl: target.url,
          fileName: files[0]?.name ?? 'schema.sql',
          ...(options.devUrl === undefined ? {} : { devUrl: options.devUrl }),
        }),
      );
    }
  }
}

/**
 * The dialect side of versioned migrations: SQLite replays files in memory; PostgreSQL replays
 * them in a scratch database on `devUrl`'s server (or in that empty database).
 */
export function migrationDialect(options: { dialect: 'sqlite' | 'postgres'; devUrl?: string }): MigrationDialect {
  switch (options.dialect) {
    case 'sqlite':
      return { dialect: 'sqlite', planner: sqlitePlanner, replay: async (files) => loadDesiredSqlite(files) };
    case 'postgres': {
      const devUrl = options.devUrl;
      if (devUrl === undefined) {
        throw new IsotypError('ISOTYP_USAGE', 'PostgreSQL migrations need a server to replay them on.', {
          hint: 'Pass --dev-url postgres://user@host/db (a scratch database is created there and dropped).',
        });
      }
      return {
        dialect: 'postgres',
        planner: postgresPlanner,
        replay: (files) => loadDesiredPostgres(files, { serverUrl: devUrl, fileName: files[0]?.name ?? 'schema.sql' }),
      };
    }
  }
}

/** Opens the target for apply, rollback and drift. */
export function openRunner(targetUrl: string, options: { lockTimeoutMs?: number } = {}): ChangeRunner {
  const target = parseTargetUrl(targetUrl);
  switch (target.dialect) {
    case 'sqlite':
      return sqliteRunner(target.path, options);
    case 'postgres':
      // The password comes from the URL or, as with libpq, from PGPASSWORD (read by the driver).
      return postgresRunner({ url: target.url }, options);
  }
}
