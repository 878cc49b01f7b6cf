import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cliHome, runCli } from '../../test-support/run-cli.js';

const example = (file: string) =>
  fileURLToPath(new URL(`../../../../../examples/chinook-sqlite/${file}`, import.meta.url));

describe('isotyp audit', () => {
  it('records local applies and rollbacks, verifies, proves, and catches tampering', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-audit-cli-'));
    const db = join(dir, 'chinook.db');
    const conn = new Database(db);
    conn.exec(readFileSync(example('chinook.sql'), 'utf8'));
    conn.close();
    const target = `sqlite:${db}`;
    const plan = join(dir, 'plan.json');
    expect(runCli(['plan', '-t', target, '--schema', example('schema.sql'), '--out', plan]).status).toBe(0);
    expect(runCli(['apply', '-t', target, '--plan', plan, '--yes', '--actor', 'ana']).status).toBe(0);
    expect(runCli(['rollback', '-t', target, '--yes', '--actor', 'ben']).status).toBe(0);

    const history = JSON.parse(runCli(['audit', 'history', `target:${target}`, '--json']).stdout);
    expect(history.map((e: { actor: string; action: string }) => [e.actor, e.action])).toEqual([
      ['ana', 'apply'],
      ['ben', 'rollback'],
    ]);
    expect(JSON.stringify(history)).not.toContain('ALTER TABLE'); // details are digested, never stored

    const verified = JSON.parse(runCli(['audit', 'verify', '--json']).stdout);
    expect(verified).toMatchObject({ ok: true, size: 2 });
    const proof = JSON.parse(runCli(['audit', 'proof', '--seq', '0', '--json']).stdout);
    expect(proof).toMatchObject({ seq: 0, size: 2, root: verified.root });
    expect(proof.proof).toHaveLength(1);

    // An attacker with the file: drop the append-only triggers, rewrite who applied.
    const raw = new Database(join(cliHome(), '.isotyp', 'audit.db'));
    for (const { name } of raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'").all() as {
      name: string;
    }[]) {
      raw.exec(`DROP TRIGGER "${name}"`);
    }
    raw.prepare('UPDATE entries SET entry = replace(entry, ?, ?) WHERE seq = 0').run('"ana"', '"eve"');
    raw.close();
    const tampered = runCli(['audit', 'verify']);
    expect(tampered.status).toBe(7);
    expect(tampered.stderr).toContain('ISOTYP_AUDIT_TAMPERED');
    expect(tampered.stderr).toContain('entry 0');
  });
});
