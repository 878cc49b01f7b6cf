import { consistencyProof, leafHash, toHex } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { consistencyProofHex } from './tree-proofs.js';

describe('consistencyProofHex', () => {
  it('equals protocol’s consistencyProof for every pair of sizes up to 48 leaves', () => {
    const leaves = Array.from({ length: 48 }, (_, i) => leafHash(Uint8Array.of(i)));
    const hex = leaves.map(toHex);
    for (let to = 1; to <= leaves.length; to++) {
      for (let from = 1; from <= to; from++) {
        expect(consistencyProofHex(hex, from, to)).toEqual(consistencyProof(leaves, from, to).map(toHex));
      }
    }
  });

  it('refuses sizes outside 0 < from ≤ to ≤ leaves', () => {
    const hex = [toHex(leafHash(Uint8Array.of(1)))];
    for (const [from, to] of [
      [0, 1],
      [2, 1],
      [1, 2],
    ] as const) {
      expect(() => consistencyProofHex(hex, from, to)).toThrow(
        expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }),
      );
    }
  });
});
