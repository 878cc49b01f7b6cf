import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suggestionDigest } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from '../test-support/run-cli.js';

const chinookSql = fileURLToPath(new URL('../../../../examples/chinook-sqlite/chinook.sql', import.meta.url));

function chinook(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'isotyp-suggest-')), 'chinook.db');
  const db = new Database(path);
  db.exec(readFileSync(chinookSql, 'utf8'));
  db.close();
  return path;
}

describe('isotyp suggest', () => {
  const path = chinook();

  it('ranks suggestions with their rationale and the statements each proposes', () => {
    const { status, stdout, stderr } = runCli(['suggest', '--target', `sqlite:${path}`]);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^ 22 {2}redundant-index {2}PlaylistTrack\.IFK_PlaylistTrackPlaylistId/m);
    expect(stdout).toContain('→ DROP INDEX "IFK_PlaylistTrackPlaylistId"');
    // Without --read-data nothing is read from the rows, and the output says what did not run.
    expect(stdout).not.toContain('nullable-without-nulls  ');
    expect(stdout).toMatch(/Not run: .*nullable-without-nulls \(reads data: pass --read-data\)/);
  });

  it('reads the data only with --read-data, and filters by kind and score', () => {
    const json = runCli([
      'suggest',
      '-t',
      `sqlite:${path}`,
      '--read-data',
      '--kind',
      'nullable-without-nulls',
      '--json',
    ]);
    expect(json.status, json.stderr).toBe(0);
    const advice = JSON.parse(json.stdout);
    expect(advice.suggestions.length).toBeGreaterThan(0);
    expect(new Set(advice.suggestions.map((s: { kind: string }) => s.kind))).toEqual(
      new Set(['nullable-without-nulls']),
    );
    // Each proposal's statements, by digest: making the column NOT NULL (a table rebuild on SQLite).
    for (const s of advice.suggestions) {
      expect(advice.statements[suggestionDigest(s)].join(' ')).toMatch(/NOT NULL/);
    }
    const high = runCli(['suggest', '-t', `sqlite:${path}`, '--read-data', '--min-score', '90']);
    expect(high.stdout).toMatch(/No suggestion scores 90 or more \(\d+ below\)\./);
  });

  it('answers bad input with a code and a hint, never a stack trace', () => {
    const unknown = runCli(['suggest', '-t', `sqlite:${path}`, '--kind', 'vibes']);
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toContain('ISOTYP_USAGE');
    expect(unknown.stderr).toContain('Kinds: fk-without-index');
    const half = runCli(['suggest', '-t', `sqlite:${path}`, '--llm-url', 'http://127.0.0.1:9/v1']);
    expect(half.status).toBe(64);
    const missing = runCli(['suggest', '-t', 'sqlite:/nonexistent/db.sqlite']);
    expect(missing.status).toBe(69);
    expect(missing.stderr).toContain('ISOTYP_TARGET_UNREACHABLE');
    for (const r of [unknown, half, missing]) expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
