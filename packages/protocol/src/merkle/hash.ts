import { sha256 } from '@noble/hashes/sha2.js';
import { IsotypError } from '../errors/isotyp-error.js';
import { splitPoint } from './tree-math.js';

/** Bytes in every RFC 6962 hash (SHA-256). */
export const HASH_SIZE = 32;

// RFC 6962 §2.1 domain separation: a leaf can never be reinterpreted as an interior node (a
// second-preimage attack on the tree) because their hash inputs start with different bytes.
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// nodeHash is the hot path of every append and verification; one reused buffer saves an
// allocation per call. Safe because sha256 is synchronous and nothing else writes to it.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

const EMPTY_ROOT = sha256(new Uint8Array(0));

/**
 * The RFC 6962 leaf hash: SHA-256(0x00 ‖ data).
 *
 * @example
 * const h = leafHash(canonicalBytes(entry)); // 32 bytes
 */
export function leafHash(data: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/**
 * The RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). Both children must be
 * 32-byte hashes; anything else throws ISOTYP_INVALID_INPUT, since a short child would let two
 * different pairs hash alike.
 *
 * @example
 * const parent = nodeHash(leafHash(a), leafHash(b));
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertHash(left, 'left child');
  assertHash(right, 'right child');
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

/** The root of the empty tree, SHA-256 of no bytes (a fresh copy each call). */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

/**
 * The Merkle Tree Hash (RFC 6962 §2.1) of a list of leaf hashes; the empty list gives
 * SHA-256(""). Throws ISOTYP_INVALID_INPUT when an element is not 32 bytes.
 *
 * @example
 * const root = rootOf(entries.map((e) => leafHash(canonicalBytes(e))));
 */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** MTH(D[start:end]) for a non-empty range; recursion depth is log2 of its size. */
export function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) {
    const leaf = leafHashes[start] as Uint8Array;
    assertHash(leaf, `leaf hash ${start}`);
    return Uint8Array.from(leaf);
  }
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leafHashes, start, start + k), subtreeRoot(leafHashes, start + k, end));
}

/** True for a 32-byte Uint8Array: the only shape of hash a verifier accepts. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

/** Throws ISOTYP_INVALID_INPUT unless `hash` is 32 bytes. */
export function assertHash(hash: Uint8Array, what: string): void {
  if (!isHash(hash)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `The ${what} is not a ${HASH_SIZE}-byte SHA-256 hash.`, {
      hint: 'Pass leaf hashes from leafHash() and node hashes from nodeHash() or a proof.',
    });
  }
}
