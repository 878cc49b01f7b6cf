import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import type { NewAuditEntry } from './entry.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A path for an audit log inside a fresh temp dir (removed after the test file). */
export function tempAuditPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-audit-'));
  dirs.push(dir);
  return join(dir, 'home', 'audit.db');
}

/** `n` entries spread over a few entities. */
export function sampleEntries(n: number, from = 0): NewAuditEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    actor: `user:u${(from + i) % 3}`,
    action: (from + i) % 2 === 0 ? 'apply' : 'approve',
    entity: { kind: 'change', id: `chg_${(from + i) % 5}` },
    details: { n: from + i, secret: 'never-stored' },
  }));
}

/** What an attacker holding the file does: drop the triggers and run raw SQL. */
export function tamper(path: string, ...sql: string[]): void {
  const db = new Database(path);
  try {
    db.exec(`DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;
      DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;`);
    for (const statement of sql) db.exec(statement);
  } finally {
    db.close();
  }
}
