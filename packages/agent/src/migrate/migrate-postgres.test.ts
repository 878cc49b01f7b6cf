import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresRunner } from '../dialects/postgres/runner.js';
import { migrationDialect } from '../local.js';
import { postgresServerUrl, runSql, tempDatabase } from '../test-support/postgres.js';
import { applyMigrations, migrationStatus, newMigration } from './migrate.js';

describe('versioned migrations on PostgreSQL', () => {
  it('replays migrations in a scratch database, writes the next one and applies them in order', async () => {
    const dialect = migrationDialect({ dialect: 'postgres', devUrl: postgresServerUrl() });
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-pg-migrations-'));
    const v1 =
      "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE person (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);";
    const v2 = `${v1.replace("'ok')", "'ok', 'happy')")}\nALTER TABLE person ADD COLUMN feeling mood DEFAULT 'ok';\nCREATE INDEX person_name ON person (name);`;
    const first = await newMigration(dialect, {
      dir,
      name: 'people',
      schema: [{ name: 'v1.sql', text: v1 }],
      now: new Date('2026-03-01T00:00:00Z'),
    });
    const second = await newMigration(dialect, {
      dir,
      name: 'feelings',
      schema: [{ name: 'v2.sql', text: v2 }],
      now: new Date('2026-03-02T00:00:00Z'),
    });
    expect([first.file, second.file]).toEqual(['20260301000000_people.sql', '20260302000000_feelings.sql']);

    const db = await tempDatabase();
    const runner = postgresRunner({ url: db.url });
    try {
      expect((await migrationStatus(runner, dir)).migrations.map((m) => m.state)).toEqual(['pending', 'pending']);
      const applied = await applyMigrations(runner, dir, 'ci');
      expect(applied.map((r) => r.toDigest)).toEqual([first.toDigest, second.toDigest]);
      expect((await migrationStatus(runner, dir)).position).toBe(1);
      await runSql(db.url, "INSERT INTO person (name, feeling) VALUES ('Ada', 'happy')");
      expect(await applyMigrations(runner, dir, 'ci')).toEqual([]);
    } finally {
      await runner.close();
      await db.drop();
    }
  });
});
