import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

function setup(): { dir: string; target: string } {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-lint-'));
  const db = new Database(join(dir, 'app.db'));
  db.exec(
    'CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT, bio TEXT); INSERT INTO author VALUES (1, $$a$$, $$b$$);'.replaceAll(
      '$$',
      "'",
    ),
  );
  db.close();
  return { dir, target: `sqlite:${join(dir, 'app.db')}` };
}

describe('isotyp lint', () => {
  it('lists at least 20 rules', () => {
    const rules = JSON.parse(runCli(['lint', '--rules', '--json']).stdout);
    expect(rules.length).toBeGreaterThanOrEqual(20);
  });

  it('exits 1 on an error finding, honours isotyp.json and inline suppressions', () => {
    const { dir, target } = setup();
    const schema = join(dir, 'schema.sql');
    writeFileSync(schema, 'CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE note (body TEXT);\n');
    const found = runCli(['lint', '-t', target, '--schema', schema]);
    expect(found.status).toBe(1);
    expect(found.stdout).toContain('destructive/drop-column');
    expect(found.stdout).toContain('hygiene/no-primary-key');

    const config = join(dir, 'isotyp.json');
    writeFileSync(config, JSON.stringify({ lint: { rules: { 'destructive/drop-column': 'warning' } } }));
    const relaxed = runCli(['lint', '-t', target, '--schema', schema, '--config', config, '--json']);
    expect(relaxed.status).toBe(0);
    expect(JSON.parse(relaxed.stdout)).toMatchObject({ errors: 0, warnings: 2 });

    writeFileSync(schema, `-- isotyp:lint-ignore destructive/drop-column author.bio\n${readFileSync(schema, 'utf8')}`);
    const suppressed = JSON.parse(runCli(['lint', '-t', target, '--schema', schema, '--json']).stdout);
    expect(suppressed.findings.map((f: { rule: string }) => f.rule)).toEqual(['hygiene/no-primary-key']);

    writeFileSync(config, '{"lint": {"rules": {"destructive/drop-colum": "off"}}}');
    const typo = runCli(['lint', '-t', target, '--schema', schema, '--config', config]);
    expect(typo.status).toBe(65);
    expect(typo.stderr).toContain('Unknown lint rule destructive/drop-colum');
  });
});
