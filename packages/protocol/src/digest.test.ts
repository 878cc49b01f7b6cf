import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertDigest, DIGEST_PATTERN, digest, digestKinds, parseDigest } from './digest.js';
import { IsotypError } from './errors/isotyp-error.js';

describe('digest', () => {
  it('is SHA-256 over the domain tag and the canonical bytes', () => {
    const expected = createHash('sha256').update('isotyp:schema:v1\u0000{"a":1,"b":[true]}').digest('hex');
    expect(digest('schema', { b: [true], a: 1 })).toBe(`sha256:${expected}`);
  });

  it('never gives two kinds the same digest for the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const all = digestKinds.map((kind) => digest(kind, value));
        expect(new Set(all).size).toBe(digestKinds.length);
        for (const d of all) expect(d).toMatch(DIGEST_PATTERN);
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on property order', () => {
    expect(digest('plan', { x: 1, y: 2 })).toBe(digest('plan', { y: 2, x: 1 }));
    expect(digest('plan', { x: 1, y: 2 })).not.toBe(digest('plan', { x: 2, y: 1 }));
  });

  it('assertDigest refuses a mismatch with ISOTYP_DIGEST_MISMATCH', () => {
    const d = digest('plan', { ops: [] });
    expect(assertDigest('plan', { ops: [] }, d)).toBe(d);
    const err = (() => {
      try {
        assertDigest('schema', { ops: [] }, d);
      } catch (error) {
        return error;
      }
    })();
    expect(err).toBeInstanceOf(IsotypError);
    expect((err as IsotypError).code).toBe('ISOTYP_DIGEST_MISMATCH');
  });

  it('parseDigest accepts only sha256:<64 lower-case hex>', () => {
    const d = digest('schema', 1);
    expect(parseDigest('schema', d)).toBe(d);
    for (const bad of [d.toUpperCase(), d.slice(0, -1), `sha512:${d.slice(7)}`, `${d}0`]) {
      expect(() => parseDigest('schema', bad)).toThrow(IsotypError);
    }
  });
});
