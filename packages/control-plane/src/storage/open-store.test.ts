import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactUrl } from './core/errors.js';
import { openStore } from './open-store.js';
import { rejectsWith, visible } from './test-support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'isotyp-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens sqlite:<path>, sqlite:///<absolute path> and sqlite::memory:', async () => {
    for (const url of [`sqlite:${join(dir, 'a.db')}`, `sqlite://${join(dir, 'b.db')}`, 'sqlite::memory:']) {
      const store = await openStore(url);
      await store.migrate();
      expect(store.dialect).toBe('sqlite');
      await store.orgs.create({ id: 'org', name: 'o', createdAt: '2026-01-01T00:00:00.000Z' });
      expect(await store.orgs.list()).toHaveLength(1);
      await store.close();
    }
  });

  it('dispatches postgres:// and postgresql:// to PostgreSQL', async () => {
    for (const scheme of ['postgres', 'postgresql']) {
      // Nothing listens on port 1: the PostgreSQL driver's own connection error proves the dispatch.
      await rejectsWith(openStore(`${scheme}://cp:pw@127.0.0.1:1/isotyp`), 'ISOTYP_UNAVAILABLE');
    }
  });

  it('refuses other URLs as configuration, with a hint and without the password', async () => {
    const error = await rejectsWith(openStore('mysql://root:hunter2@db:3306/isotyp'), 'ISOTYP_CONFIG_INVALID');
    expect(error).toMatchObject({
      hint: expect.stringContaining('sqlite:'),
      details: { database: 'mysql://root:***@db:3306/isotyp' },
    });
    expect(visible(error)).not.toContain('hunter2');
    await rejectsWith(openStore('sqlite:'), 'ISOTYP_CONFIG_INVALID');
    await rejectsWith(openStore('./isotyp.db'), 'ISOTYP_CONFIG_INVALID');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://cp:s3cret@db:5432/isotyp', 'postgres://cp:***@db:5432/isotyp'],
    ['postgres://cp:p%40ss@db/isotyp?sslmode=require', 'postgres://cp:***@db/isotyp?sslmode=require'],
    ['postgres://db/isotyp?user=cp&password=s3cret', 'postgres://db/isotyp?user=cp&password=***'],
    ['postgres://cp@db/isotyp', 'postgres://cp@db/isotyp'],
    ['cp:s3cret@db/isotyp', '***@db/isotyp'],
  ])('%s → %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});
