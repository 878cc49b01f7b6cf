import { IsotypError } from '@isotyp/protocol';
import { nodeHex } from './fast-hash.js';

/** The largest power of two strictly below n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(leaves[start:end]) over hex hashes, for a non-empty range. */
function subtreeHex(leaves: readonly string[], start: number, end: number): string {
  if (end - start === 1) return leaves[start] as string;
  const k = splitPoint(end - start);
  return nodeHex(subtreeHex(leaves, start, start + k), subtreeHex(leaves, start + k, end));
}

/**
 * RFC 9162 §2.1.4.1 PROOF over hex leaf hashes, equal to protocol's `consistencyProof` (the
 * tests pin both) but with node:crypto hashing, since the agent proves from its last accepted
 * checkpoint over its whole log on every report.
 */
export function consistencyProofHex(leaves: readonly string[], size1: number, size2: number): string[] {
  if (
    !Number.isSafeInteger(size1) ||
    !Number.isSafeInteger(size2) ||
    size1 < 1 ||
    size1 > size2 ||
    size2 > leaves.length
  ) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `A consistency proof needs 0 < from ≤ to ≤ ${leaves.length}, got from ${size1} and to ${size2}.`,
    );
  }
  const proof: string[] = [];
  let start = 0;
  let end = size2;
  let m = size1;
  let knownRoot = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      proof.push(subtreeHex(leaves, start + k, end));
      end = start + k;
    } else {
      proof.push(subtreeHex(leaves, start, start + k));
      start += k;
      m -= k;
      knownRoot = false;
    }
  }
  if (!knownRoot) proof.push(subtreeHex(leaves, start, end));
  return proof.reverse();
}
