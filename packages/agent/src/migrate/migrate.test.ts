import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeRunner } from '../apply/session.js';
import { loadDesiredSqlite } from '../desired/load-sqlite.js';
import { sqlitePlanner } from '../dialects/sqlite/planner.js';
import { sqliteRunner } from '../dialects/sqlite/runner.js';
import { tempSqlite } from '../test-support/temp-sqlite.js';
import { applyMigrations, type MigrationDialect, migrationStatus, newMigration, readMigrationDir } from './migrate.js';

const example = (file: string) =>
  fileURLToPath(new URL(`../../../../examples/chinook-sqlite/${file}`, import.meta.url));
const sqlite: MigrationDialect = {
  dialect: 'sqlite',
  planner: sqlitePlanner,
  replay: async (files) => loadDesiredSqlite(files),
};

const runners: ChangeRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.close();
});
const runner = (path: string) => {
  const r = sqliteRunner(path);
  runners.push(r);
  return r;
};

/** Chinook's DDL without the ReleaseYear/Review/IX_TrackName release, as a first schema. */
function baselineSchema(): string {
  const text = readFileSync(example('schema.sql'), 'utf8');
  return text.replace('    [ReleaseYear] INTEGER,\n', '').slice(0, text.indexOf('CREATE INDEX [IX_TrackName]') - 30);
}

describe('versioned migrations on SQLite', () => {
  it('writes migrations from the desired state, applies pending ones in order, and knows where a target stands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-migrations-'));
    const first = await newMigration(sqlite, {
      dir,
      name: 'baseline',
      schema: [{ name: 'v1.sql', text: baselineSchema() }],
      now: new Date('2026-11-01T10:00:00Z'),
    });
    expect(first.file).toBe('20261101100000_baseline.sql');
    const second = await newMigration(sqlite, {
      dir,
      name: 'add_reviews',
      schema: [{ name: 'schema.sql', text: readFileSync(example('schema.sql'), 'utf8') }],
      now: new Date('2026-11-02T10:00:00Z'),
    });
    expect(second).toMatchObject({ file: '20261102100000_add_reviews.sql', operations: 5 });
    expect(readFileSync(join(dir, second.file as string), 'utf8')).toMatch(
      /-- isotyp:down\n[\s\S]*DROP TABLE "Review";/,
    );
    const again = await newMigration(sqlite, {
      dir,
      name: 'noop',
      schema: [{ name: 'schema.sql', text: readFileSync(example('schema.sql'), 'utf8') }],
    });
    expect(again.file).toBeNull();

    const target = tempSqlite('');
    expect((await migrationStatus(runner(target), dir)).migrations.map((m) => m.state)).toEqual(['pending', 'pending']);
    const applied = await applyMigrations(runner(target), dir, 'ci');
    expect(applied.map((r) => r.toVersion)).toEqual(['0.1.0', '0.2.0']);
    expect(applied[1]?.toDigest).toBe(second.toDigest);
    expect((await migrationStatus(runner(target), dir)).position).toBe(1);
    expect(await applyMigrations(runner(target), dir, 'ci')).toEqual([]);

    new Database(target).exec('CREATE TABLE sneaky (id INTEGER)');
    await expect(applyMigrations(runner(target), dir, 'ci')).rejects.toMatchObject({ code: 'ISOTYP_DRIFT_DETECTED' });
  });

  it('detects edited, removed, reordered and unsummed migration files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-migrations-'));
    const a = await newMigration(sqlite, {
      dir,
      name: 'a',
      schema: [{ name: 's', text: 'CREATE TABLE a (id INTEGER);' }],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const b = await newMigration(sqlite, {
      dir,
      name: 'b',
      schema: [{ name: 's', text: 'CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER);' }],
      now: new Date('2026-01-02T00:00:00Z'),
    });
    const fileA = join(dir, a.file as string);
    const original = readFileSync(fileA, 'utf8');
    expect(readMigrationDir(dir).problems).toEqual([]);

    writeFileSync(fileA, original.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
    expect(readMigrationDir(dir).problems).toEqual([{ kind: 'edited', file: a.file }]);
    await expect(migrationStatus(runner(tempSqlite('')), dir)).rejects.toMatchObject({
      code: 'ISOTYP_DIGEST_MISMATCH',
    });
    writeFileSync(fileA, original);

    const fileB = join(dir, b.file as string);
    renameSync(fileB, `${fileB}.bak`);
    expect(readMigrationDir(dir).problems).toEqual([{ kind: 'removed', file: b.file }]);
    renameSync(`${fileB}.bak`, join(dir, '20251231000000_b.sql'));
    expect(readMigrationDir(dir).problems.map((p) => p.kind)).toEqual(['removed', 'unsummed']);
    rmSync(join(dir, '20251231000000_b.sql'));
    writeFileSync(join(dir, '20260103000000_extra.sql'), original);
    expect(readMigrationDir(dir).problems).toEqual([
      { kind: 'removed', file: b.file },
      { kind: 'unsummed', file: '20260103000000_extra.sql' },
    ]);
  });
});
