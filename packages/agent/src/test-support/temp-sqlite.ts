import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';

/** The Chinook script kept in examples/chinook-sqlite (from the public Chinook 1.4.5 release, MIT). */
export const CHINOOK_SQL = fileURLToPath(new URL('../../../../examples/chinook-sqlite/chinook.sql', import.meta.url));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh SQLite file built from `sql`, removed after the test file finishes. */
export function tempSqlite(sql: string, name = 'db.sqlite'): string {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-test-'));
  dirs.push(dir);
  const path = join(dir, name);
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
  return path;
}

/** A SQLite copy of the Chinook sample database. */
export function tempChinook(): string {
  return tempSqlite(readFileSync(CHINOOK_SQL, 'utf8'), 'chinook.db');
}
