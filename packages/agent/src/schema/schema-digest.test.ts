import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalize, digest, schemaModelSchema } from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedDesired } from '../desired/cache.js';
import { loadDesiredSqlite } from '../desired/load-sqlite.js';
import { CHINOOK_SQL } from '../test-support/temp-sqlite.js';
import { canonicalSchemaDigest, schemaDigest } from './schema-digest.js';

const chinook = () => loadDesiredSqlite([{ name: 'chinook.sql', text: readFileSync(CHINOOK_SQL, 'utf8') }]);

describe('schemaDigest', () => {
  it('is exactly protocol digest("schema", model), on Chinook and on arbitrary JSON', () => {
    const model = chinook();
    expect(schemaDigest(model)).toBe(digest('schema', model));
    expect(canonicalSchemaDigest(canonicalize(model))).toBe(digest('schema', model));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        // Any JSON value stands in for a model here: the two must agree byte for byte.
        expect(schemaDigest(value as never)).toBe(digest('schema', value));
      }),
      { numRuns: 300 },
    );
  });

  it('survives the way back from canonical text through schemaModelSchema (what the cache relies on)', () => {
    const model = chinook();
    const back = schemaModelSchema.parse(JSON.parse(canonicalize(model)));
    expect(canonicalize(back)).toBe(canonicalize(model));
  });

  it('comes with the desired model from the cache, and a damaged entry is reloaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isotyp-cache-digest-'));
    const key = {
      files: [{ name: 'chinook.sql', text: 'x' }],
      dialect: 'postgres' as const,
      serverVersion: '1',
      agentVersion: '0',
    };
    let loads = 0;
    const load = async () => {
      loads++;
      return chinook();
    };
    const expected = digest('schema', chinook());
    expect(await cachedDesired(dir, key, load)).toMatchObject({ cached: false, digest: expected });
    const hit = await cachedDesired(dir, key, load);
    expect(hit).toMatchObject({ cached: true, digest: expected });
    expect(schemaDigest(hit.model)).toBe(expected);
    expect(loads).toBe(1);

    // Still a valid model, but not the one digested: the entry must not be trusted.
    const [file] = readdirSync(dir);
    const path = join(dir, file as string);
    const entry = readFileSync(path, 'utf8');
    writeFileSync(path, entry.replace('"name":"Album"', '"name":"Albums"'));
    expect(await cachedDesired(dir, key, load)).toMatchObject({ cached: false, digest: expected });
    expect(loads).toBe(2);
    // Equivalent JSON that is not the canonical text is refused too.
    writeFileSync(path, entry.replace('"model":{', '"model": {'));
    expect((await cachedDesired(dir, key, load)).cached).toBe(false);
    expect(loads).toBe(3);
    expect((await cachedDesired(undefined, key, load)).digest).toBeUndefined();
  });
});
