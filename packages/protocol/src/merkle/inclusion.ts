import { bytesEqual } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { isHash, nodeHash, subtreeRoot } from './hash.js';
import { half, isOdd, isTreeSize, splitPoint } from './tree-math.js';

/**
 * The audit path of leaf `index` (0-based) in the tree of all `leafHashes` (RFC 9162 §2.1.3.1
 * PATH), lowest sibling first. Throws ISOTYP_INVALID_INPUT when the index is outside the tree
 * or a leaf hash is not 32 bytes: the caller holds the leaves, so that is a programming error.
 *
 * @example
 * const proof = inclusionProof(leafHashes, 5);
 * verifyInclusion(5, leafHashes.length, leafHashes[5], proof, rootOf(leafHashes)); // true
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  const size = leafHashes.length;
  if (!isTreeSize(index) || index >= size) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `Leaf index ${index} is outside a tree of ${size} leaves.`, {
      details: { index, size },
    });
  }
  const proof: Uint8Array[] = [];
  // Walk down from the root, collecting the sibling subtree at each split; PATH lists them
  // bottom-up, so reverse at the end.
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      proof.push(subtreeRoot(leafHashes, start + k, end));
      end = start + k;
    } else {
      proof.push(subtreeRoot(leafHashes, start, start + k));
      start += k;
    }
  }
  return proof.reverse();
}

/**
 * Checks that `leafHash` is leaf `leafIndex` (0-based) of the tree of `treeSize` leaves whose
 * root is `root`, following RFC 9162 §2.1.3.2 step by step. Never throws: a proof of the wrong
 * length, an index outside the tree, a hash that is not 32 bytes or a mismatch all return false.
 *
 * @example
 * if (!verifyInclusion(seq, checkpoint.size, leafHash(bytes), proof, checkpoint.root)) reject();
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeSize(leafIndex) || !isTreeSize(treeSize) || leafIndex >= treeSize) return false;
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    // More proof than levels: trailing garbage.
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip the levels where this node is the rightmost and has no sibling.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // sn > 0 means the proof ran out before reaching the root.
  return sn === 0 && bytesEqual(r, root);
}
