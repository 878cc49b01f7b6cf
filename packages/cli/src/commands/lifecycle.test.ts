import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from '../test-support/run-cli.js';

const example = (file: string) =>
  fileURLToPath(new URL(`../../../../examples/chinook-sqlite/${file}`, import.meta.url));

function chinook(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-lifecycle-'));
  const db = join(dir, 'chinook.db');
  const conn = new Database(db);
  conn.exec(readFileSync(example('chinook.sql'), 'utf8'));
  conn.close();
  return { dir, db };
}

const json = (stdout: string) => JSON.parse(stdout);

describe('plan → apply → drift → rollback from the command line', () => {
  it('runs the whole local lifecycle on the Chinook example', () => {
    const { dir, db } = chinook();
    const target = `sqlite:${db}`;
    const planFile = join(dir, 'plan.json');

    const planned = runCli(['plan', '-t', target, '--schema', example('schema.sql'), '--out', planFile, '--json']);
    expect(planned.status, planned.stderr).toBe(0);
    const plan = json(planned.stdout);
    expect(plan.semver).toBe('minor');
    expect(plan.operations.map((op: { action: string }) => op.action)).toEqual(
      expect.arrayContaining(['add-column', 'create-table', 'create-index']),
    );
    expect(plan.lint).toEqual([]);

    const human = runCli(['plan', '-t', target, '--schema', example('schema.sql')]);
    expect(human.stdout).toContain('semver minor');
    expect(human.stdout).toContain('ALTER TABLE');

    const refused = runCli(['apply', '-t', target, '--plan', planFile]);
    expect(refused.status).toBe(64);
    expect(refused.stderr).toContain('--yes');

    const applied = runCli(['apply', '-t', target, '--plan', planFile, '--yes', '--actor', 'ci@test', '--json']);
    expect(applied.status, applied.stderr).toBe(0);
    expect(json(applied.stdout)).toMatchObject({ toVersion: '0.1.0', toDigest: plan.toDigest });

    const replan = json(runCli(['plan', '-t', target, '--schema', example('schema.sql'), '--json']).stdout);
    expect(replan.operations).toEqual([]);
    expect(runCli(['drift', '-t', target]).status).toBe(0);

    new Database(db).exec('CREATE TABLE hotfix (id INTEGER PRIMARY KEY)');
    const drift = runCli(['drift', '-t', target, '--json']);
    expect(drift.status).toBe(2);
    expect(json(drift.stdout)).toMatchObject({ drifted: true, objects: ['create-table main.hotfix'] });
    // Found drift is on the record: the target's audit history ends with it.
    const history = runCli(['audit', 'history', `target:${target}`, '--json']);
    expect(history.status, history.stdout + history.stderr).toBe(0);
    expect(json(history.stdout).map((e: { action: string }) => e.action)).toEqual(['apply', 'drift.detected']);
    new Database(db).exec('DROP TABLE hotfix');

    const back = runCli(['rollback', '-t', target, '--yes', '--json']);
    expect(back.status, back.stderr).toBe(0);
    expect(json(back.stdout).toDigest).toBe(plan.fromDigest);
  });

  it('refuses an edited plan and a plan for another database before running anything', () => {
    const { dir, db } = chinook();
    const planFile = join(dir, 'plan.json');
    expect(runCli(['plan', '-t', `sqlite:${db}`, '--schema', example('schema.sql'), '--out', planFile]).status).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8'));
    plan.ops[0].up[0] = 'DROP TABLE "Album"';
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(plan));
    const result = runCli(['apply', '-t', `sqlite:${db}`, '--plan', edited, '--yes']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('ISOTYP_DIGEST_MISMATCH');
    expect(result.stderr).not.toMatch(STACK_FRAME);

    const other = chinook();
    new Database(other.db).exec('CREATE TABLE extra (id INTEGER)');
    const wrongDb = runCli(['apply', '-t', `sqlite:${other.db}`, '--plan', planFile, '--yes']);
    expect(wrongDb.status).toBe(3);
    expect(wrongDb.stderr).toContain('not the one this plan was made from');
  });

  it('writes what isotyp submit needs into the plan file: the semver bump and the wire lint findings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-plan-file-'));
    const db = join(dir, 'app.db');
    new Database(db).exec(
      "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT, bio TEXT); INSERT INTO author VALUES (1, 'a', 'b');",
    );
    const schema = join(dir, 'schema.sql');
    writeFileSync(schema, 'CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT);\n');
    const planFile = join(dir, 'plan.json');
    const planned = runCli(['plan', '-t', `sqlite:${db}`, '--schema', schema, '--out', planFile, '--json']);
    expect(planned.status, planned.stderr).toBe(0);
    const output = json(planned.stdout);
    const file = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(file).toMatchObject({ planDigest: output.planDigest, ops: output.operations, semver: 'major' });
    expect(output.semver).toBe('major');
    // The findings as they may cross the wire: rule, severity, object — never the local sentence.
    expect(file.lint).toEqual(output.lint.map(({ message: _local, ...finding }: { message: string }) => finding));
    expect(file.lint.map((f: { rule: string }) => f.rule)).toContain('destructive/drop-column');
    expect(readFileSync(planFile, 'utf8')).not.toContain('"message"');

    // The extras are not part of the plan: its digest still verifies, and apply takes the file.
    const applied = runCli(['apply', '-t', `sqlite:${db}`, '--plan', planFile, '--yes', '--json']);
    expect(applied.status, applied.stderr).toBe(0);
    expect(json(applied.stdout).toDigest).toBe(output.toDigest);

    // An extra that is not what plan writes is refused, like an edited plan.
    writeFileSync(planFile, JSON.stringify({ ...file, semver: 'huge' }));
    const refused = runCli(['apply', '-t', `sqlite:${db}`, '--plan', planFile, '--yes']);
    expect(refused.status).toBe(65);
    expect(refused.stderr).toContain('ISOTYP_INVALID_INPUT');
  });

  it('reports a broken schema file with its file, line and SQLite’s message', () => {
    const { dir, db } = chinook();
    const schema = join(dir, 'broken.sql');
    writeFileSync(schema, 'CREATE TABLE a (id INTEGER);\n\nCREATE TABLE b (id INTEGER REFERENCES);\n');
    const result = runCli(['plan', '-t', `sqlite:${db}`, '--schema', schema]);
    expect(result.status).toBe(65);
    expect(result.stderr).toMatch(/ISOTYP_SCHEMA_LOAD_FAILED.*broken\.sql:3: /);
  });
});
