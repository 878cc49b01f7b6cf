import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectsWith, seedOrg } from '../test-support/fixtures.js';
import { describeSharedDatabase, describeStore } from '../test-support/store-suite.js';
import { openSqliteStore } from './sqlite-store.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A path for a database file in a fresh temp dir (removed after this file). */
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-'));
  dirs.push(dir);
  return join(dir, 'cp.db');
}

/** Runs SQL on the file through a connection of its own, as an operator's sqlite3 shell would. */
function execOn(path: string, sql: string): void {
  const db = new Database(path);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describeStore('sqlite', () => openSqliteStore(tempPath()));

describeSharedDatabase('sqlite', async () => {
  const path = tempPath();
  return { open: () => openSqliteStore(path), exec: async (sql) => execOn(path, sql) };
});

describe('openSqliteStore', () => {
  it('puts the file in WAL mode and enforces foreign keys', async () => {
    const path = tempPath();
    const store = await openSqliteStore(path);
    await store.migrate();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
    // foreign_keys is per connection: only the store's own connection shows it is on.
    const env = {
      id: 'e',
      orgId: 'org_none',
      projectId: 'p',
      name: 'e',
      privacyMode: 'digest' as const,
      createdAt: '',
    };
    await rejectsWith(store.environments.create(env), 'ISOTYP_NOT_FOUND');
    await store.close();
  });

  it('works in memory', async () => {
    const store = await openSqliteStore(':memory:');
    await store.migrate();
    const s = await seedOrg(store);
    expect((await store.targets.list(s.orgId, {})).map((t) => t.id)).toEqual([s.targetId]);
    await store.close();
  });

  it('reports a file it cannot create as a configuration error', async () => {
    const error = await rejectsWith(openSqliteStore(join(tempPath(), 'missing-dir', 'cp.db')), 'ISOTYP_CONFIG_INVALID');
    expect(error).toMatchObject({ hint: expect.stringMatching(/directory/) });
  });
});
