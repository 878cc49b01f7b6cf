import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../encoding.js';
import { isIsotypError } from '../errors/isotyp-error.js';
import { CompactRange } from './compact-range.js';
import { emptyRoot, leafHash, nodeHash, rootOf } from './hash.js';
import { naiveLeaf, naiveNode, naiveRoot } from './test-support/reference.js';

// Known answers from transparency-dev/merkle (see testdata/README.md and the fixtures README).
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOT_OF_8 = '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328';
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const leaves = INPUTS.map((hex) => leafHash(fromHex(hex)));

describe('RFC 6962 hashing', () => {
  it('hashes leaves and nodes with distinct prefixes', () => {
    expect(toHex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    for (const hex of INPUTS) expect(leafHash(fromHex(hex))).toEqual(naiveLeaf(fromHex(hex)));
    const [a, b] = leaves as [Uint8Array, Uint8Array];
    expect(nodeHash(a, b)).toEqual(naiveNode(a, b));
    expect(nodeHash(a, b)).not.toEqual(nodeHash(b, a));
    // Second preimage: the bytes of an interior node, hashed as a leaf, do not give the node.
    expect(leafHash(Uint8Array.of(1, ...a, ...b))).not.toEqual(nodeHash(a, b));
  });

  it('gives the known root of the 8 reference leaves and of the empty tree', () => {
    expect(toHex(rootOf(leaves))).toBe(ROOT_OF_8);
    expect(toHex(rootOf([]))).toBe(EMPTY_ROOT);
    expect(toHex(emptyRoot())).toBe(EMPTY_ROOT);
    const range = new CompactRange();
    expect(toHex(range.root())).toBe(EMPTY_ROOT);
    for (const leaf of leaves) range.append(leaf);
    expect(toHex(range.root())).toBe(ROOT_OF_8);
  });

  it('matches the naive recursive MTH for every prefix of the 8 reference leaves', () => {
    const range = new CompactRange();
    for (let n = 0; n <= leaves.length; n++) {
      const expected = toHex(naiveRoot(leaves.slice(0, n)));
      expect(toHex(rootOf(leaves.slice(0, n)))).toBe(expected);
      expect(range.size).toBe(n);
      expect(toHex(range.root())).toBe(expected);
      if (n < leaves.length) range.append(leaves[n] as Uint8Array);
    }
    // A root of one leaf is the leaf hash itself, and a root is never an alias of an input.
    const one = rootOf(leaves.slice(0, 1));
    expect(one).toEqual(leaves[0]);
    one[0] = (one[0] as number) ^ 1;
    expect(one).not.toEqual(leaves[0]);
  });

  it('rejects children and leaf hashes that are not 32 bytes', () => {
    const good = leaves[0] as Uint8Array;
    const short = good.slice(1);
    for (const attempt of [
      () => nodeHash(short, good),
      () => nodeHash(good, new Uint8Array(33)),
      () => rootOf([good, short]),
    ]) {
      let thrown: unknown;
      try {
        attempt();
      } catch (error) {
        thrown = error;
      }
      expect(isIsotypError(thrown) && thrown.code).toBe('ISOTYP_INVALID_INPUT');
    }
  });
});
