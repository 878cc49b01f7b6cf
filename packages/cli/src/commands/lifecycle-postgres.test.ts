import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSql, tempDatabase } from '../../../agent/src/test-support/postgres.js';
// Test-only helpers from the agent's test support: the per-run PostgreSQL server and Pagila.
import { pagilaSql } from '../../../agent/src/test-support/postgres-fixtures.js';
import { runCli } from '../test-support/run-cli.js';

const json = (stdout: string) => JSON.parse(stdout);

describe('plan → apply → drift → rollback on PostgreSQL (Pagila)', () => {
  it('evolves Pagila exactly and back, from the command line', async () => {
    const db = await tempDatabase(pagilaSql());
    try {
      const dir = mkdtempSync(join(tmpdir(), 'isotyp-pg-cli-'));
      const schema = join(dir, 'schema.sql');
      // One release: a new column with a default, a new enum value, an index, a changed view.
      writeFileSync(
        schema,
        pagilaSql()
          .replace(
            "CREATE TYPE public.mpaa_rating AS ENUM (\n    'G',",
            "CREATE TYPE public.mpaa_rating AS ENUM (\n    'G',\n    'U',",
          )
          .replace(
            '    last_update timestamp with time zone DEFAULT now() NOT NULL\n);\n\n\nALTER TABLE public.actor',
            "    last_update timestamp with time zone DEFAULT now() NOT NULL,\n    nickname text DEFAULT ''::text NOT NULL\n);\n\n\nALTER TABLE public.actor",
          )
          .concat('\nCREATE INDEX idx_actor_nickname ON public.actor USING btree (nickname);\n'),
      );
      const target = db.url;
      const planFile = join(dir, 'plan.json');

      const planned = runCli(['plan', '-t', target, '--schema', schema, '--out', planFile, '--json']);
      expect(planned.status, planned.stderr).toBe(0);
      const plan = json(planned.stdout);
      expect(plan.dialect).toBe('postgres');
      expect(plan.operations.map((op: { action: string }) => op.action)).toEqual(
        expect.arrayContaining(['add-column', 'create-index']),
      );

      const applied = runCli(['apply', '-t', target, '--plan', planFile, '--yes', '--json']);
      expect(applied.status, applied.stderr).toBe(0);
      expect(json(applied.stdout).toDigest).toBe(plan.toDigest);

      const again = json(runCli(['plan', '-t', target, '--schema', schema, '--json']).stdout);
      expect(again.operations).toEqual([]);
      expect(again.desiredCached).toBe(true);
      expect(runCli(['drift', '-t', target]).status).toBe(0);

      await runSql(target, 'ALTER TABLE public.actor ADD COLUMN hotfix int');
      const drift = runCli(['drift', '-t', target, '--json']);
      expect(drift.status).toBe(2);
      expect(json(drift.stdout).objects).toEqual(['alter-table public.actor']);
      await runSql(target, 'ALTER TABLE public.actor DROP COLUMN hotfix');

      const back = runCli(['rollback', '-t', target, '--yes', '--force', '--json']);
      expect(back.status, back.stderr).toBe(0);
      // Adding an enum value cannot be undone in PostgreSQL: the rollback says so.
      expect(json(back.stdout).skipped.map((s: { action: string }) => s.action)).toContain('add-enum-value');
    } finally {
      await db.drop();
    }
  });
});
