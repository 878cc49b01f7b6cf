import { IsotypError, type SchemaModel } from '@isotyp/protocol';
import type { ChangeRunner } from './apply/session.js';
import { loadDesiredSqlite } from './desired/load-sqlite.js';
import { parseDirectives, readSchemaSource } from './desired/schema-source.js';
import { postgresRunner } from './dialects/postgres/runner.js';
import { sqlitePlanner } from './dialects/sqlite/planner.js';
import { sqliteRunner } from './dialects/sqlite/runner.js';
import type { RenameHint } from './diff/changes.js';
import { diffSchemas } from './diff/diff.js';
import { connectTarget } from './inspect.js';
import { type Finding, type LintConfig, lintChange } from './lint/lint.js';
import type { MigrationDialect } from './migrate/migrate.js';
import { createPlan, type PlanResult } from './plan/create-plan.js';
import type { DialectPlanner } from './plan/dialect-planner.js';
import { parseTargetUrl } from './target/target-url.js';

export interface LocalPlanOptions {
  /** `--schema`: a .sql file or a directory of them. */
  schema: string;
  /** Renames given on the command line, added to the directives in the schema files. */
  renames?: RenameHint[];
  concurrentIndexes?: boolean;
  lint?: LintConfig;
}

export interface LocalPlan extends PlanResult {
  /** The target with any password redacted. */
  target: string;
  lint: Finding[];
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
  let desired: SchemaModel;
  let planner: DialectPlanner;
  switch (target.dialect) {
    case 'sqlite':
      desired = loadDesiredSqlite(files);
      planner = sqlitePlanner;
      break;
    case 'postgres':
      throw postgresNotYet();
  }
  const connection = await connectTarget(targetUrl);
  try {
    const live = await connection.introspect();
    const result = createPlan(live, desired, planner, {
      renames,
      concurrentIndexes: options.concurrentIndexes ?? false,
    });
    const lint = lintChange(
      {
        dialect: live.dialect,
        from: live,
        to: desired,
        changes: diffSchemas(live, desired, { renames }).changes,
        ops: result.plan.ops,
        rowCounts: await connection.rowCounts(),
      },
      options.lint,
      directives.lintIgnores,
    );
    return { target: target.display, ...result, lint };
  } finally {
    await connection.close();
  }
}

/**
 * The dialect side of versioned migrations: SQLite replays files in memory; PostgreSQL needs a
 * server to create scratch databases on (`--dev-url`, or the target's).
 */
export function migrationDialect(options: { dialect: 'sqlite' | 'postgres'; devUrl?: string }): MigrationDialect {
  switch (options.dialect) {
    case 'sqlite':
      return { dialect: 'sqlite', planner: sqlitePlanner, replay: async (files) => loadDesiredSqlite(files) };
    case 'postgres':
      throw postgresNotYet();
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

function postgresNotYet(): IsotypError {
  return new IsotypError(
    'ISOTYP_TARGET_INVALID',
    'Planning and applying on PostgreSQL targets is not available in this build yet.',
    {
      hint: 'Use a sqlite: target for now.',
    },
  );
}
