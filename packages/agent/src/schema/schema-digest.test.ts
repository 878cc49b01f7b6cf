import { readFileSync } from 'node:fs';
import { digest } from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDesiredSqlite } from '../desired/load-sqlite.js';
import { CHINOOK_SQL } from '../test-support/temp-sqlite.js';
import { schemaDigest } from './schema-digest.js';

describe('schemaDigest', () => {
  it('is exactly protocol digest("schema", model), on Chinook and on arbitrary JSON', () => {
    const chinook = loadDesiredSqlite([{ name: 'chinook.sql', text: readFileSync(CHINOOK_SQL, 'utf8') }]);
    expect(schemaDigest(chinook)).toBe(digest('schema', chinook));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        // Any JSON value stands in for a model here: the two must agree byte for byte.
        expect(schemaDigest(value as never)).toBe(digest('schema', value));
      }),
      { numRuns: 300 },
    );
  });
});
