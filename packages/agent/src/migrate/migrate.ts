import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dialect, IsotypError, type SchemaModel } from '@isotyp/protocol';
import { type ApplyResult, applyPlan } from '../apply/apply.js';
import type { ChangeRunner } from '../apply/session.js';
import type { SchemaFile } from '../desired/schema-source.js';
import type { RenameHint } from '../diff/changes.js';
import { createPlan } from '../plan/create-plan.js';
import type { DialectPlanner } from '../plan/dialect-planner.js';
import { schemaDigest } from '../schema/schema-digest.js';
import {
  formatMigration,
  MIGRATION_FILE,
  type MigrationFile,
  migrationPlan,
  parseMigration,
} from './migration-file.js';
import { chain, checkSum, formatSum, SUM_FILE, type SumProblem } from './sum-file.js';

/** What migrations need from a dialect: a planner and a scratch database to replay files in. */
export interface MigrationDialect {
  dialect: Dialect;
  planner: DialectPlanner;
  /** Runs the files in order in an empty scratch database and introspects the result. */
  replay(files: SchemaFile[]): Promise<SchemaModel>;
}

export interface MigrationDir {
  dir: string;
  migrations: MigrationFile[];
  problems: SumProblem[];
}

/** Reads a migrations directory and checks it against its sum file (hash chain). */
export function readMigrationDir(dir: string): MigrationDir {
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => MIGRATION_FILE.test(f))
        .sort()
    : [];
  const files = names.map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));
  const sumPath = join(dir, SUM_FILE);
  const problems = checkSum(files, existsSync(sumPath) ? readFileSync(sumPath, 'utf8') : null);
  return { dir, migrations: files.map((f) => parseMigration(f.file, f.text)), problems };
}

/** Refuses a directory whose files no longer match the sum: edited, removed, reordered or unsummed. */
export function assertIntact(state: MigrationDir): void {
  if (state.problems.length === 0) return;
  const what = state.problems.map((p) => (p.file === null ? p.kind : `${p.file} ${p.kind}`)).join('; ');
  throw new IsotypError('ISOTYP_DIGEST_MISMATCH', `The migrations in ${state.dir} do not match ${SUM_FILE}: ${what}.`, {
    hint: 'Restore the files from version control; never edit a migration that may have been applied — add a new one.',
    details: { problems: state.problems },
  });
}

export interface NewMigration {
  file: string | null;
  operations: number;
  fromDigest: string;
  toDigest: string;
}

/**
 * Writes the next migration: the difference between the state the existing migrations produce
 * (replayed in a scratch database) and the desired schema. Re-checks that replaying the new
 * file really yields the desired digest before writing anything.
 */
export async function newMigration(
  d: MigrationDialect,
  options: { dir: string; name: string; schema: SchemaFile[]; renames?: RenameHint[]; now?: Date },
): Promise<NewMigration> {
  if (!/^[a-z0-9][a-z0-9_]*$/.test(options.name)) {
    throw new IsotypError('ISOTYP_USAGE', `"${options.name}" is not a migration name.`, {
      hint: 'Use lower-case letters, digits and underscores, e.g. add_reviews.',
    });
  }
  const state = readMigrationDir(options.dir);
  assertIntact(state);
  const replayFiles = state.migrations.map((m) => ({ name: m.file, text: m.up }));
  const current = await d.replay(replayFiles);
  const desired = await d.replay(options.schema);
  const { plan } = createPlan(current, desired, d.planner, { renames: options.renames ?? [] });
  if (plan.ops.length === 0) return { file: null, operations: 0, fromDigest: plan.fromDigest, toDigest: plan.toDigest };

  const version = (options.now ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14);
  const irreversible = plan.ops.filter((op) => op.down === null);
  const migration = {
    version,
    name: options.name,
    dialect: d.dialect,
    fromDigest: plan.fromDigest,
    toDigest: plan.toDigest,
    up: plan.ops
      .flatMap((op) => op.up)
      .map(terminate)
      .join('\n\n'),
    down:
      irreversible.length > 0
        ? null
        : [...plan.ops]
            .reverse()
            .flatMap((op) => op.down ?? [])
            .map(terminate)
            .join('\n\n'),
    irreversibleReason: irreversible.map((op) => op.irreversibleReason).join('; ') || null,
  };
  const file = `${version}_${options.name}.sql`;
  const replayed = await d.replay([...replayFiles, { name: file, text: migration.up }]);
  if (schemaDigest(replayed) !== plan.toDigest) {
    throw new IsotypError('ISOTYP_INTERNAL', 'The generated migration does not reproduce the desired schema.', {
      hint: 'This is a planner bug for this schema; please report it.',
    });
  }
  mkdirSync(options.dir, { recursive: true });
  const text = formatMigration(migration);
  writeFileSync(join(options.dir, file), text);
  const all = [
    ...state.migrations.map((m) => ({ file: m.file, text: readFileSync(join(options.dir, m.file), 'utf8') })),
    { file, text },
  ];
  writeFileSync(join(options.dir, SUM_FILE), formatSum(chain(all)));
  return { file, operations: plan.ops.length, fromDigest: plan.fromDigest, toDigest: plan.toDigest };
}

export interface MigrationStatus {
  live: string;
  /** Index of the last applied migration, -1 when none; null when the live schema matches none of them. */
  position: number | null;
  migrations: { file: string; state: 'applied' | 'pending' | 'unknown' }[];
}

/**
 * Where the target stands in the chain: migrations move the schema from one digest to the
 * next, so the live digest alone says which are applied.
 */
export async function migrationStatus(runner: ChangeRunner, dir: string): Promise<MigrationStatus> {
  const state = readMigrationDir(dir);
  assertIntact(state);
  const live = await runner.read(async (s) => schemaDigest(await s.introspect()));
  const { migrations } = state;
  let position: number | null = null;
  for (let i = migrations.length - 1; i >= 0; i--) {
    if (migrations[i]?.toDigest === live) {
      position = i;
      break;
    }
  }
  if (position === null && (migrations.length === 0 || migrations[0]?.fromDigest === live)) position = -1;
  return {
    live,
    position,
    migrations: migrations.map((m, i) => ({
      file: m.file,
      state: position === null ? 'unknown' : i <= position ? 'applied' : 'pending',
    })),
  };
}

/** Applies the pending migrations in order, each under the lock with its digests checked. */
export async function applyMigrations(runner: ChangeRunner, dir: string, actor: string): Promise<ApplyResult[]> {
  const status = await migrationStatus(runner, dir);
  if (status.position === null) {
    throw new IsotypError('ISOTYP_DRIFT_DETECTED', `The target schema (${status.live}) matches no state of ${dir}.`, {
      hint: 'The database was changed outside the migrations; run isotyp drift and reconcile first.',
    });
  }
  const { migrations } = readMigrationDir(dir);
  const results: ApplyResult[] = [];
  for (const m of migrations.slice(status.position + 1)) results.push(await applyPlan(runner, migrationPlan(m), actor));
  return results;
}

function terminate(statement: string): string {
  return /;\s*$/.test(statement) ? statement : `${statement};`;
}
