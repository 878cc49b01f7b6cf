import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import {
  type ApplyOptions,
  type ApplyResult,
  applyMigrations,
  applyPlan,
  type DriftReport,
  detectDrift,
  type LocalPlan,
  type MigrationStatus,
  migrationDialect,
  migrationStatus,
  type NewMigration,
  newMigration,
  openRunner,
  parseDirectives,
  parseTargetUrl,
  planTarget,
  type RenameHint,
  type RollbackResult,
  readSchemaSource,
  rollbackLatest,
} from '@isotyp/agent';
import { IsotypError } from '@isotyp/protocol';
import { isotypHome, loadProjectConfig } from '../config.js';
import { record } from './audit.js';
import { readPlanFile as readPlanFileWithExtras, writePlanFile } from './plan-file.js';

/** The default actor recorded in a target's history. */
export function defaultActor(): string {
  return `${userInfo().username}@${hostname()}`;
}

/** `--rename table:Old=New` or `--rename column:Table.Old=New`. */
export function parseRename(text: string): RenameHint {
  const match = /^(table|column):(?:([^.=]+)\.)?([^=]+)=(.+)$/.exec(text);
  if (match === null || (match[1] === 'column') !== (match[2] !== undefined)) {
    throw new IsotypError('ISOTYP_USAGE', `Cannot read --rename ${text}.`, {
      hint: 'Use --rename table:OLD=NEW or --rename column:TABLE.OLD=NEW.',
    });
  }
  const [, kind, table, from, to] = match as unknown as [
    string,
    'table' | 'column',
    string | undefined,
    string,
    string,
  ];
  return kind === 'table' ? { kind, from, to } : { kind, table: table as string, from, to };
}

export async function makePlan(
  target: string,
  schema: string,
  options: {
    renames: string[];
    concurrentIndexes: boolean;
    out?: string | undefined;
    config?: string | undefined;
    devUrl?: string | undefined;
  },
): Promise<LocalPlan> {
  const config = loadProjectConfig(options.config);
  const result = await planTarget(target, {
    schema,
    renames: options.renames.map(parseRename),
    concurrentIndexes: options.concurrentIndexes,
    cacheDir: join(isotypHome(), 'cache', 'desired'),
    ...(options.devUrl === undefined ? {} : { devUrl: options.devUrl }),
    ...(config.lint === undefined ? {} : { lint: config.lint }),
  });
  if (options.out !== undefined) writePlanFile(options.out, result);
  return result;
}

/** What `isotyp plan --json` prints: the plan's digests and operations at the top level. */
export interface PlanOutput {
  target: string;
  dialect: string;
  fromDigest: string;
  toDigest: string;
  planDigest: string;
  semver: string;
  operations: LocalPlan['plan']['ops'];
  lint: LocalPlan['lint'];
  renameCandidates: LocalPlan['renameCandidates'];
  desiredCached: boolean;
}

export function planOutput(result: LocalPlan): PlanOutput {
  const { plan } = result;
  return {
    target: result.target,
    dialect: plan.dialect,
    fromDigest: plan.fromDigest,
    toDigest: plan.toDigest,
    planDigest: plan.planDigest,
    semver: result.semver,
    operations: plan.ops,
    lint: result.lint,
    renameCandidates: result.renameCandidates,
    desiredCached: result.desiredCached,
  };
}

/** The verified plan in a plan file (its semver and lint extras are for isotyp submit). */
export function readPlanFile(path: string) {
  return readPlanFileWithExtras(path).plan;
}

export async function applyPlanFile(
  target: string,
  planPath: string,
  actor: string,
  onPhase?: ApplyOptions['onPhase'],
): Promise<ApplyResult> {
  const plan = readPlanFile(planPath);
  const runner = openRunner(target);
  try {
    const result = await applyPlan(runner, plan, actor, onPhase === undefined ? {} : { onPhase });
    record([
      {
        actor,
        action: 'apply',
        entity: targetEntity(target),
        details: {
          planDigest: result.planDigest,
          fromDigest: result.fromDigest,
          toDigest: result.toDigest,
          version: result.toVersion,
        },
      },
    ]);
    return result;
  } finally {
    await runner.close();
  }
}

/** The target as the audit log names it: its URL with any password redacted. */
function targetEntity(target: string): { kind: string; id: string } {
  return { kind: 'target', id: parseTargetUrl(target).display };
}

export async function rollback(target: string, actor: string, force: boolean): Promise<RollbackResult> {
  const runner = openRunner(target);
  try {
    const result = await rollbackLatest(runner, actor, force);
    record([
      {
        actor,
        action: 'rollback',
        entity: targetEntity(target),
        details: { planDigest: result.planDigest, toDigest: result.toDigest, skipped: result.skipped.length },
      },
    ]);
    return result;
  } finally {
    await runner.close();
  }
}

export async function drift(target: string): Promise<DriftReport> {
  const runner = openRunner(target);
  try {
    const report = await detectDrift(runner);
    // A schema changed behind Isotyp's back is an event for the record (a clean check is not).
    if (report.drifted) {
      record([
        {
          actor: defaultActor(),
          action: 'drift.detected',
          entity: targetEntity(target),
          details: { expected: report.expected, live: report.live, objects: report.objects.length },
        },
      ]);
    }
    return report;
  } finally {
    await runner.close();
  }
}

export async function newMigrationFile(options: {
  name: string;
  schema: string;
  dir: string;
  dialect: 'sqlite' | 'postgres';
  devUrl?: string | undefined;
  renames: string[];
}): Promise<NewMigration> {
  const schema = readSchemaSource(options.schema);
  const directives = parseDirectives(schema);
  return newMigration(
    migrationDialect(
      options.devUrl === undefined
        ? { dialect: options.dialect }
        : { dialect: options.dialect, devUrl: options.devUrl },
    ),
    {
      dir: options.dir,
      name: options.name,
      schema,
      renames: [...directives.renames, ...options.renames.map(parseRename)],
    },
  );
}

export async function migrationsStatus(target: string, dir: string): Promise<MigrationStatus> {
  const runner = openRunner(target);
  try {
    return await migrationStatus(runner, dir);
  } finally {
    await runner.close();
  }
}

export async function migrationsApply(target: string, dir: string, actor: string): Promise<ApplyResult[]> {
  const runner = openRunner(target);
  try {
    const results = await applyMigrations(runner, dir, actor);
    if (results.length > 0) {
      record(
        results.map((r) => ({
          actor,
          action: 'migrate-apply',
          entity: targetEntity(target),
          details: { planDigest: r.planDigest, toDigest: r.toDigest, version: r.toVersion },
        })),
      );
    }
    return results;
  } finally {
    await runner.close();
  }
}
