import { randomBytes } from 'node:crypto';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MerkleCache } from './merkle-cache.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8, 7)));

function cacheOf(hashes: readonly Uint8Array[]): MerkleCache {
  const cache = new MerkleCache();
  for (const h of hashes) cache.append(h);
  return cache;
}

describe('MerkleCache', () => {
  it('gives the roots and proofs of protocol’s reference, for every size, index and pair up to 70 leaves', () => {
    const all = leaves(70);
    const cache = cacheOf(all);
    for (let size = 0; size <= all.length; size++) {
      const prefix = all.slice(0, size);
      expect(cache.root(size)).toEqual(rootOf(prefix));
      for (let i = 0; i < size; i++) expect(cache.inclusionProof(i, size)).toEqual(inclusionProof(prefix, i));
      for (let from = 1; from <= size; from++) {
        expect(cache.consistencyProof(from, size)).toEqual(consistencyProof(prefix, from, size));
      }
    }
  });

  it('agrees with the reference on random trees up to 4,096 leaves, and its proofs verify', () => {
    const all = Array.from({ length: 4096 }, () => leafHash(randomBytes(16)));
    const cache = cacheOf(all);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.nat(), fc.nat(), (size, a, b) => {
        const index = a % size;
        const from = 1 + (b % size);
        const prefix = all.slice(0, size);
        const root = cache.root(size);
        expect(root).toEqual(rootOf(prefix));
        const path = cache.inclusionProof(index, size);
        expect(path).toEqual(inclusionProof(prefix, index));
        expect(verifyInclusion(index, size, all[index] as Uint8Array, path, root)).toBe(true);
        const proof = cache.consistencyProof(from, size);
        expect(verifyConsistency(from, size, cache.root(from), root, proof)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses sizes it has not reached and indexes outside the tree', () => {
    const cache = cacheOf(leaves(5));
    expect(() => cache.root(6)).toThrow(/tree size 6/);
    expect(() => cache.inclusionProof(5, 5)).toThrow(/outside/);
    expect(() => cache.inclusionProof(0, 6)).toThrow(/tree size 6/);
    expect(() => cache.consistencyProof(0, 5)).toThrow(/0 < from/);
    expect(() => cache.consistencyProof(4, 3)).toThrow(/0 < from/);
    expect(() => cache.append(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
