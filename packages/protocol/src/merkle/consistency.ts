import { bytesEqual } from '../encoding.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { isHash, nodeHash, subtreeRoot } from './hash.js';
import { half, isOdd, isPowerOfTwo, isTreeSize, splitPoint } from './tree-math.js';

/**
 * The proof that the tree of the first `size1` of `leafHashes` is a prefix of the tree of the
 * first `size2` (RFC 9162 §2.1.4.1 PROOF); empty when the sizes are equal. Requires
 * 0 < size1 ≤ size2 ≤ leafHashes.length, like the verifier: every tree extends the empty one,
 * so there is nothing to prove from size 0. Throws ISOTYP_INVALID_INPUT otherwise.
 *
 * @example
 * const proof = consistencyProof(leafHashes, previous.size, leafHashes.length);
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], size1: number, size2: number): Uint8Array[] {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 < 1 || size1 > size2 || size2 > leafHashes.length) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `A consistency proof needs 0 < size1 ≤ size2 ≤ ${leafHashes.length}, got size1 ${size1} and size2 ${size2}.`,
      { details: { size1, size2, leaves: leafHashes.length } },
    );
  }
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b) unrolled: walk down the tree of size2 towards the boundary
  // at size1, collecting the subtree hashes a verifier cannot derive from the old root.
  let start = 0;
  let end = size2;
  let m = size1;
  let knownRoot = true; // b: whether MTH(D[start:start+m]) is the old root itself
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      proof.push(subtreeRoot(leafHashes, start + k, end));
      end = start + k;
    } else {
      proof.push(subtreeRoot(leafHashes, start, start + k));
      start += k;
      m -= k;
      knownRoot = false;
    }
  }
  if (!knownRoot) proof.push(subtreeRoot(leafHashes, start, end));
  return proof.reverse();
}

/**
 * Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2`, following RFC 9162 §2.1.4.2 step by step. Equal sizes are
 * consistent exactly when the roots are equal and the proof is empty. Never throws: size1 = 0
 * (RFC 9162 defines no proof from the empty tree), size1 > size2, an empty proof for different
 * sizes, a proof of the wrong length, a hash that is not 32 bytes or a mismatch return false.
 *
 * @example
 * if (!verifyConsistency(old.size, next.size, old.root, next.root, proof)) raiseForkAlert();
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 < 1 || size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  if (proof.length === 0) return false;
  if (!isHash(root1) || !isHash(root2) || !proof.every(isHash)) return false;

  // When size1 is a power of two the old tree is a complete subtree of the new one, so its
  // root is the first node of the path and the proof leaves it out.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
