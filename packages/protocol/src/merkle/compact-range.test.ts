import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIsotypError } from '../errors/isotyp-error.js';
import { CompactRange } from './compact-range.js';
import { leafHash, rootOf } from './hash.js';
import { naiveRoot } from './test-support/reference.js';

const leavesOf = (n: number, seed: number): Uint8Array[] =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}:${i}`)));

function code(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return isIsotypError(error) ? error.code : error;
  }
  return undefined;
}

describe('CompactRange', () => {
  it('equals the naive MTH after every append up to 300 leaves', () => {
    const leaves = leavesOf(300, 1);
    const range = new CompactRange();
    for (let n = 1; n <= leaves.length; n++) {
      range.append(leaves[n - 1] as Uint8Array);
      expect(range.root()).toEqual(naiveRoot(leaves.slice(0, n)));
      // O(log n) state: one perfect subtree per set bit of the size.
      expect(range.hashes()).toHaveLength(n.toString(2).replaceAll('0', '').length);
    }
  });

  it('equals the naive MTH at random prefixes of random trees up to 4,096 leaves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }),
        fc.integer(),
        fc.uniqueArray(fc.integer({ min: 0, max: 4096 }), { maxLength: 6 }),
        (size, seed, probes) => {
          const leaves = leavesOf(size, seed);
          const checkAt = new Set([size, ...probes.filter((p) => p <= size)]);
          const range = new CompactRange();
          for (let n = 0; n <= size; n++) {
            if (checkAt.has(n)) expect(range.root()).toEqual(naiveRoot(leaves.slice(0, n)));
            if (n < size) range.append(leaves[n] as Uint8Array);
          }
          expect(range.size).toBe(size);
          expect(rootOf(leaves)).toEqual(range.root());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('restores from size and hashes, and clones independently', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 100 }), (size, more) => {
        const leaves = leavesOf(size + more, size);
        const range = new CompactRange();
        for (const leaf of leaves.slice(0, size)) range.append(leaf);
        const restored = CompactRange.restore(range.size, range.hashes());
        const clone = range.clone();
        for (const leaf of leaves.slice(size)) restored.append(leaf);
        expect(restored.root()).toEqual(naiveRoot(leaves));
        expect(clone.size).toBe(size);
        expect(clone.root()).toEqual(naiveRoot(leaves.slice(0, size)));
      }),
      { numRuns: 50 },
    );
  });

  it('keeps its state private: mutating inputs or outputs changes nothing', () => {
    const leaves = leavesOf(3, 7);
    const range = new CompactRange();
    for (const leaf of leaves) range.append(leaf);
    const before = range.root();
    (leaves[2] as Uint8Array)[0] = ((leaves[2] as Uint8Array)[0] as number) ^ 1;
    (range.hashes()[0] as Uint8Array)[0] = 0;
    range.root()[0] = 0;
    expect(range.root()).toEqual(before);
  });

  it('copies leaves given as Node Buffers (whose slice() is a view) instead of aliasing them', () => {
    const leaf = Buffer.from(leafHash(Uint8Array.of(1)));
    const range = new CompactRange();
    range.append(leaf);
    const root = range.root();
    leaf.fill(0);
    expect(range.root()).toEqual(root);
    const single = Buffer.from(leafHash(Uint8Array.of(2)));
    const fromList = rootOf([single]);
    single.fill(0);
    expect(fromList).toEqual(leafHash(Uint8Array.of(2)));
  });

  it('rejects malformed state and leaves with ISOTYP_INVALID_INPUT', () => {
    const [a, b] = leavesOf(2, 3) as [Uint8Array, Uint8Array];
    expect(code(() => new CompactRange().append(a.slice(1)))).toBe('ISOTYP_INVALID_INPUT');
    expect(code(() => CompactRange.restore(3, [a]))).toBe('ISOTYP_INVALID_INPUT');
    expect(code(() => CompactRange.restore(3, [a, b.slice(2)]))).toBe('ISOTYP_INVALID_INPUT');
    expect(code(() => CompactRange.restore(-1, []))).toBe('ISOTYP_INVALID_INPUT');
    expect(code(() => CompactRange.restore(1.5, [a]))).toBe('ISOTYP_INVALID_INPUT');
    // Sizes past 2^32 work: bit tricks on 32-bit integers would miscount here.
    const big = CompactRange.restore(2 ** 40 + 1, [a, b]);
    big.append(a);
    expect(big.size).toBe(2 ** 40 + 2);
    expect(big.hashes()).toHaveLength(2);
  });
});
