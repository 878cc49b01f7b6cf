import { DIGEST_PATTERN, type Dialect, IsotypError, type Plan, type PlanOperation, planDigest } from '@isotyp/protocol';

/** A versioned migration: `<version>_<name>.sql` holding its up and down SQL and the digests it moves between. */
export interface MigrationFile {
  /** File name, e.g. `20261126123456_add_reviews.sql`. */
  file: string;
  version: string;
  name: string;
  dialect: Dialect;
  fromDigest: string;
  toDigest: string;
  up: string;
  /** Null when the migration cannot be undone. */
  down: string | null;
  irreversibleReason: string | null;
}

export const MIGRATION_FILE = /^(\d{14})_([a-z0-9][a-z0-9_]*)\.sql$/;

/** Renders a migration file. The header makes it self-describing: apply checks the digests. */
export function formatMigration(m: Omit<MigrationFile, 'file'>): string {
  const down =
    m.down === null ? `-- irreversible: ${m.irreversibleReason ?? 'data would be lost'}\n` : `${m.down.trimEnd()}\n`;
  return [
    `-- isotyp migration ${m.version}_${m.name}`,
    `-- dialect: ${m.dialect}`,
    `-- from: ${m.fromDigest}`,
    `-- to: ${m.toDigest}`,
    '-- isotyp:up',
    m.up.trimEnd(),
    '-- isotyp:down',
    down,
  ].join('\n');
}

/** Parses a migration file written by `formatMigration` (or by hand in the same shape). */
export function parseMigration(file: string, text: string): MigrationFile {
  const name = MIGRATION_FILE.exec(file);
  const header = (key: string) => new RegExp(`^-- ${key}: (\\S+)$`, 'm').exec(text)?.[1];
  const dialect = header('dialect');
  const fromDigest = header('from');
  const toDigest = header('to');
  const upAt = text.indexOf('\n-- isotyp:up\n');
  const downAt = text.indexOf('\n-- isotyp:down\n');
  if (
    name === null ||
    (dialect !== 'sqlite' && dialect !== 'postgres') ||
    fromDigest === undefined ||
    !DIGEST_PATTERN.test(fromDigest) ||
    toDigest === undefined ||
    !DIGEST_PATTERN.test(toDigest) ||
    upAt < 0 ||
    downAt < upAt
  ) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `${file} is not an Isotyp migration file.`, {
      hint: 'Create migrations with isotyp migrate new NAME; keep the header and the isotyp:up / isotyp:down markers.',
    });
  }
  const up = text.slice(upAt + '\n-- isotyp:up\n'.length, downAt).trim();
  const downText = text.slice(downAt + '\n-- isotyp:down\n'.length).trim();
  const irreversible = /^-- irreversible: (.*)$/.exec(downText);
  return {
    file,
    version: name[1] as string,
    name: name[2] as string,
    dialect,
    fromDigest,
    toDigest,
    up,
    down: irreversible === null && downText !== '' ? downText : null,
    irreversibleReason:
      irreversible === null ? (downText === '' ? 'no down section' : null) : (irreversible[1] ?? null),
  };
}

/** A migration as a plan, so it is applied with the same lock, checks and history as any plan. */
export function migrationPlan(m: MigrationFile): Plan {
  const op: PlanOperation = {
    action: 'apply-migration',
    object: { kind: 'migration', namespace: null, name: m.file },
    up: [m.up],
    down: m.down === null ? null : [m.down],
    irreversibleReason: m.down === null ? m.irreversibleReason : null,
    risk: 'caution',
    lock: 'exclusive',
    dataLoss: m.down === null,
    transactional: true,
  };
  const body = { v: 1 as const, dialect: m.dialect, fromDigest: m.fromDigest, toDigest: m.toDigest, ops: [op] };
  return { ...body, planDigest: planDigest(body) };
}
