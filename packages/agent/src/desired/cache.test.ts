import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { col, model, table } from '../test-support/model.js';
import { cachedDesired, type DesiredCacheKey, desiredCacheKey } from './cache.js';

const key = (text: string, serverVersion = '150018'): DesiredCacheKey => ({
  files: [{ name: 'schema.sql', text }],
  dialect: 'postgres',
  serverVersion,
  agentVersion: '0.1.0',
});

describe('desired-model cache', () => {
  it('loads once per file content and server version, and reloads a damaged entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-cache-'));
    let loads = 0;
    const load = async () => {
      loads++;
      return model([table('t', [col('id')])]);
    };
    expect((await cachedDesired(dir, key('CREATE TABLE t (id int);'), load)).cached).toBe(false);
    const again = await cachedDesired(dir, key('CREATE TABLE t (id int);'), load);
    expect(again).toMatchObject({ cached: true, model: model([table('t', [col('id')])]) });
    expect(loads).toBe(1);
    await cachedDesired(dir, key('CREATE TABLE t (id bigint);'), load);
    await cachedDesired(dir, key('CREATE TABLE t (id int);', '160004'), load);
    expect(loads).toBe(3);

    expect(readdirSync(dir)).toHaveLength(3);
    writeFileSync(join(dir, `${desiredCacheKey(key('CREATE TABLE t (id int);'))}.json`), '{"not":"a model"}');
    await cachedDesired(dir, key('CREATE TABLE t (id int);'), load);
    expect(loads).toBe(4);
    expect((await cachedDesired(undefined, key('x'), load)).cached).toBe(false);
  });
});
