import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIsotypError } from '../errors/isotyp-error.js';
import { consistencyProof, verifyConsistency } from './consistency.js';
import { leafHash, rootOf } from './hash.js';
import { naiveProof, naiveRoot, naiveVerifyConsistency } from './test-support/reference.js';
import { byteCount, flipByte } from './test-support/tamper.js';

const leavesOf = (n: number, seed: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}:${i}`)));

// 1 ≤ size1 ≤ size2 ≤ 4,096.
const sizes = fc
  .integer({ min: 1, max: 4096 })
  .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2), fc.integer()));

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('consistency proofs', () => {
  it('matches the RFC PROOF for every pair of sizes up to 40 leaves, and verifies', () => {
    const leaves = leavesOf(40, 0);
    for (let size2 = 1; size2 <= 40; size2++) {
      const root2 = naiveRoot(leaves.slice(0, size2));
      for (let size1 = 1; size1 <= size2; size1++) {
        const proof = consistencyProof(leaves, size1, size2);
        if (size1 < size2) expect(proof).toEqual(naiveProof(size1, leaves.slice(0, size2)));
        else expect(proof).toEqual([]);
        const root1 = naiveRoot(leaves.slice(0, size1));
        expect(verifyConsistency(size1, size2, root1, root2, proof)).toBe(true);
      }
    }
  });

  it('verifies every generated proof and rejects tampering', () => {
    fc.assert(
      fc.property(sizes, fc.nat(), fc.integer({ min: 1, max: 255 }), ([size1, size2, seed], at, mask) => {
        const leaves = leavesOf(size2, seed);
        const root1 = rootOf(leaves.slice(0, size1));
        const root2 = rootOf(leaves);
        const proof = consistencyProof(leaves, size1, size2);
        expect(verifyConsistency(size1, size2, root1, root2, proof)).toBe(true);
        if (size1 < size2) {
          expect(proof).toEqual(naiveProof(size1, leaves));
          expect(naiveVerifyConsistency(size1, size2, root1, root2, proof)).toBe(true);
        }

        // One flipped byte anywhere in the proof or either root.
        const parts = [...proof, root1, root2];
        const flipped = flipByte(parts, at % byteCount(parts), mask);
        const [bad1, bad2] = flipped.slice(-2) as [Uint8Array, Uint8Array];
        expect(verifyConsistency(size1, size2, bad1, bad2, flipped.slice(0, -2))).toBe(false);

        // Missing, extra and reordered elements; swapped roots.
        if (proof.length > 0) expect(verifyConsistency(size1, size2, root1, root2, proof.slice(1))).toBe(false);
        if (proof.length > 0) expect(verifyConsistency(size1, size2, root1, root2, proof.slice(0, -1))).toBe(false);
        expect(verifyConsistency(size1, size2, root1, root2, [...proof, root1])).toBe(false);
        expect(verifyConsistency(size1, size2, root1, root2, [root1, ...proof])).toBe(false);
        if (proof.length > 1) expect(verifyConsistency(size1, size2, root1, root2, [...proof].reverse())).toBe(false);
        if (size1 < size2) expect(verifyConsistency(size1, size2, root2, root1, proof)).toBe(false);

        // Sizes off by one: RFC 9162 cannot tell some neighbouring sizes apart (the path looks
        // the same), so the verdict must agree with the recursive definition, and equal sizes
        // need an empty proof and equal roots.
        for (const [s1, s2] of [
          [size1 - 1, size2],
          [size1 + 1, size2],
          [size1, size2 - 1],
          [size1, size2 + 1],
        ] as const) {
          const expected =
            s1 > 0 && s1 < s2
              ? naiveVerifyConsistency(s1, s2, root1, root2, proof)
              : s1 > 0 && s1 === s2 && proof.length === 0 && same(root1, root2);
          expect(verifyConsistency(s1, s2, root1, root2, proof)).toBe(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('treats equal sizes as consistent exactly when the roots match and the proof is empty', () => {
    const leaves = leavesOf(5, 2);
    const root = rootOf(leaves);
    expect(verifyConsistency(5, 5, root, root, [])).toBe(true);
    expect(verifyConsistency(5, 5, root, rootOf(leaves.slice(0, 4)), [])).toBe(false);
    expect(verifyConsistency(5, 5, root, root, [root])).toBe(false);
    // Size 0 has nothing to prove (RFC 9162 requires 0 < size1) and is rejected outright.
    expect(verifyConsistency(0, 0, rootOf([]), rootOf([]), [])).toBe(false);
    expect(verifyConsistency(0, 5, rootOf([]), root, [])).toBe(false);
    expect(verifyConsistency(6, 5, root, root, [])).toBe(false);
  });

  it('returns false, never throws, on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -2, max: 70 }), fc.double()),
        fc.oneof(fc.integer({ min: -2, max: 70 }), fc.double()),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 12 }),
        (size1, size2, root1, root2, proof) => {
          expect(typeof verifyConsistency(size1, size2, root1, root2, proof)).toBe('boolean');
        },
      ),
    );
  });

  it('refuses to generate a proof outside 0 < size1 ≤ size2 ≤ the number of leaves', () => {
    const leaves = leavesOf(4, 1);
    for (const [s1, s2] of [
      [0, 4],
      [3, 2],
      [1, 5],
      [-1, 2],
      [1.5, 2],
    ] as const) {
      let thrown: unknown;
      try {
        consistencyProof(leaves, s1, s2);
      } catch (error) {
        thrown = error;
      }
      expect(isIsotypError(thrown) && thrown.code).toBe('ISOTYP_INVALID_INPUT');
    }
  });
});
