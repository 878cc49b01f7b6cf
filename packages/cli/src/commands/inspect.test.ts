import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME } from '../test-support/run-cli.js';

const chinookSql = fileURLToPath(new URL('../../../../examples/chinook-sqlite/chinook.sql', import.meta.url));

function chinook(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'isotyp-inspect-')), 'chinook.db');
  const db = new Database(path);
  db.exec(readFileSync(chinookSql, 'utf8'));
  db.close();
  return path;
}

describe('isotyp inspect', () => {
  const path = chinook();

  it('prints the digest and a table per line', () => {
    const { status, stdout } = runCli(['inspect', '--target', `sqlite:${path}`]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Digest {3}sha256:[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^Album\s+3\s+AlbumId\s+1\s+1$/m);
    expect(stdout).toContain('11 tables');
  });

  it('returns the model with --json, with the same digest every run', () => {
    const first = JSON.parse(runCli(['inspect', '--target', `sqlite:${path}`, '--json']).stdout);
    const second = JSON.parse(runCli(['inspect', '-t', `sqlite:${path}`, '--json']).stdout);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).toBe(first.digest);
    expect(first.model.namespaces[0].tables).toHaveLength(11);
    expect(first.tables.find((t: { name: string }) => t.name === 'Track')).toMatchObject({
      columns: 9,
      foreignKeys: 3,
    });
  });

  it('explains a missing database without a stack trace', () => {
    const { status, stderr } = runCli(['inspect', '--target', 'sqlite:/nonexistent/x.db']);
    expect(status).toBe(69);
    expect(stderr).toContain('Error [ISOTYP_TARGET_UNREACHABLE]');
    expect(stderr).toContain('Hint:');
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('never echoes a password from a target URL', () => {
    const { status, stderr, stdout } = runCli([
      'inspect',
      '--target',
      'postgres://app:hunter2@127.0.0.1:1/db',
      '--json',
    ]);
    expect(status).not.toBe(0);
    expect(stdout + stderr).not.toContain('hunter2');
    expect(JSON.parse(stdout).error.code).toMatch(/^ISOTYP_/);
  });

  it('asks for --target when it is missing', () => {
    const { status, stderr } = runCli(['inspect']);
    expect(status).toBe(64);
    expect(stderr).toContain('ISOTYP_USAGE');
  });
});
