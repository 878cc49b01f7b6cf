import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIsotypError } from '../errors/isotyp-error.js';
import { leafHash, rootOf } from './hash.js';
import { inclusionProof, verifyInclusion } from './inclusion.js';
import { naivePath, naiveRoot, naiveVerifyInclusion } from './test-support/reference.js';
import { byteCount, flipByte } from './test-support/tamper.js';

const leavesOf = (n: number, seed: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}:${i}`)));

// A tree size up to 4,096 and an index inside it.
const sizeAndIndex = fc
  .integer({ min: 1, max: 4096 })
  .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.integer()));

describe('inclusion proofs', () => {
  it('matches the RFC PATH for every leaf of every tree up to 40 leaves, and verifies', () => {
    for (let size = 1; size <= 40; size++) {
      const leaves = leavesOf(size, size);
      const root = naiveRoot(leaves);
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(leaves, i);
        expect(proof).toEqual(naivePath(i, leaves));
        expect(verifyInclusion(i, size, leaves[i] as Uint8Array, proof, root)).toBe(true);
      }
    }
  });

  it('verifies every generated proof and rejects any flipped byte, index or size off by one', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.integer({ min: 1, max: 255 }), ([size, index, seed], at, mask) => {
        const leaves = leavesOf(size, seed);
        const leaf = leaves[index] as Uint8Array;
        const root = rootOf(leaves);
        const proof = inclusionProof(leaves, index);
        expect(proof).toEqual(naivePath(index, leaves));
        expect(verifyInclusion(index, size, leaf, proof, root)).toBe(true);

        // One flipped byte anywhere in the proof, the leaf hash or the root.
        const parts = [...proof, leaf, root];
        const flipped = flipByte(parts, at % byteCount(parts), mask);
        const [badLeaf, badRoot] = flipped.slice(-2) as [Uint8Array, Uint8Array];
        expect(verifyInclusion(index, size, badLeaf, flipped.slice(0, -2), badRoot)).toBe(false);

        // Another index names another position in the same tree: never valid.
        expect(verifyInclusion(index + 1, size, leaf, proof, root)).toBe(false);
        expect(verifyInclusion(index - 1, size, leaf, proof, root)).toBe(false);
        // Another size can share the verifier's view of the path (leaf 0 of 3 and of 4 both
        // chain right, right), so RFC 9162 cannot reject those; the size is trusted from the
        // signed checkpoint. It must agree with the recursive definition either way.
        for (const other of [size - 1, size + 1]) {
          const got = verifyInclusion(index, other, leaf, proof, root);
          expect(got).toBe(naiveVerifyInclusion(index, other, leaf, proof, root));
        }
        // A missing or an extra proof element.
        if (proof.length > 0) expect(verifyInclusion(index, size, leaf, proof.slice(1), root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, [...proof, root], root)).toBe(false);
        expect(verifyInclusion(index, size, leaf, [root, ...proof], root)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('accepts a proof at a neighbouring size only where the path looks the same', () => {
    const leaves = leavesOf(4, 9);
    const proof = inclusionProof(leaves, 0);
    expect(verifyInclusion(0, 3, leaves[0] as Uint8Array, proof, rootOf(leaves))).toBe(true);
    expect(verifyInclusion(0, 5, leaves[0] as Uint8Array, proof, rootOf(leaves))).toBe(false);
    expect(verifyInclusion(3, 3, leaves[3] as Uint8Array, inclusionProof(leaves, 3), rootOf(leaves))).toBe(false);
  });

  it('returns false, never throws, on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.double()),
        fc.oneof(fc.integer(), fc.double()),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 12 }),
        fc.uint8Array({ maxLength: 40 }),
        (index, size, leaf, proof, root) => {
          expect(typeof verifyInclusion(index, size, leaf, proof, root)).toBe('boolean');
        },
      ),
    );
    const leaf = leafHash(new Uint8Array(0));
    expect(verifyInclusion(0, 1, leaf, [], leaf)).toBe(true);
    for (const [i, n] of [
      [0, 0],
      [-1, 1],
      [0.5, 1],
      [2 ** 64 - 1, 1],
      [0, Number.NaN],
      [0, Number.POSITIVE_INFINITY],
    ]) {
      expect(verifyInclusion(i as number, n as number, leaf, [], leaf)).toBe(false);
    }
  });

  it('refuses to generate a proof for an index outside the tree', () => {
    const leaves = leavesOf(3, 1);
    for (const index of [-1, 3, 1.5, Number.NaN]) {
      let thrown: unknown;
      try {
        inclusionProof(leaves, index);
      } catch (error) {
        thrown = error;
      }
      expect(isIsotypError(thrown) && thrown.code).toBe('ISOTYP_INVALID_INPUT');
    }
  });
});
