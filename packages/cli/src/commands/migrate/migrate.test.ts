import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test-support/run-cli.js';

const schema = fileURLToPath(new URL('../../../../../examples/chinook-sqlite/schema.sql', import.meta.url));

describe('isotyp migrate', () => {
  it('writes, lists and applies migrations, and refuses an edited one', () => {
    const work = mkdtempSync(join(tmpdir(), 'isotyp-migrate-cli-'));
    const dir = join(work, 'migrations');
    const db = join(work, 'app.db');
    writeFileSync(db, '');

    const made = runCli(['migrate', 'new', 'chinook', '--schema', schema, '--dir', dir, '--json']);
    expect(made.status, made.stderr).toBe(0);
    const file = JSON.parse(made.stdout).file as string;
    expect(file).toMatch(/^\d{14}_chinook\.sql$/);
    expect(readFileSync(join(dir, 'isotyp.sum'), 'utf8')).toContain(file);

    const pending = runCli(['migrate', 'status', '-t', `sqlite:${db}`, '--dir', dir]);
    expect(pending.stdout).toContain(`pending  ${file}`);
    const applied = runCli(['migrate', 'apply', '-t', `sqlite:${db}`, '--dir', dir, '--yes', '--json']);
    expect(applied.status, applied.stderr).toBe(0);
    expect(JSON.parse(applied.stdout)).toHaveLength(1);
    expect(runCli(['migrate', 'status', '-t', `sqlite:${db}`, '--dir', dir]).stdout).toContain(`applied  ${file}`);

    const path = join(dir, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace('CREATE TABLE "Album"', 'CREATE TABLE "Albums"'));
    const tampered = runCli(['migrate', 'status', '-t', `sqlite:${db}`, '--dir', dir]);
    expect(tampered.status).toBe(3);
    expect(tampered.stderr).toContain(`${file} edited`);
  });
});
