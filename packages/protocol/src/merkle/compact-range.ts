import { IsotypError } from '../errors/isotyp-error.js';
import { assertHash, emptyRoot, nodeHash } from './hash.js';
import { half, isOdd, isTreeSize, popCount } from './tree-math.js';

/**
 * The incremental state of an append-only RFC 6962 tree: the roots of the perfect subtrees
 * that make up the leaves [0, size), one per set bit of `size`, largest (leftmost) first. That
 * is O(log n) hashes, enough to append and to compute the root without keeping the leaves.
 *
 * @example
 * const tree = new CompactRange();
 * for (const entry of entries) tree.append(leafHash(canonicalBytes(entry)));
 * const checkpoint = { size: tree.size, root: tree.root() };
 */
export class CompactRange {
  #size = 0;
  // Perfect-subtree roots, leftmost first; heights strictly decrease along the array.
  #hashes: Uint8Array[] = [];

  /**
   * Restores a state saved from `size` and `hashes()`, so a log can resume without rereading
   * its leaves. Throws ISOTYP_INVALID_INPUT when the hash count does not match the size.
   */
  static restore(size: number, hashes: readonly Uint8Array[]): CompactRange {
    if (!isTreeSize(size)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `A tree size must be a safe non-negative integer, got ${size}.`);
    }
    const expected = popCount(size);
    if (hashes.length !== expected) {
      throw new IsotypError(
        'ISOTYP_INVALID_INPUT',
        `A compact range of size ${size} holds ${expected} hashes, got ${hashes.length}.`,
        { hint: 'Save and restore `size` and `hashes()` together.', details: { size, expected, got: hashes.length } },
      );
    }
    hashes.forEach((h, i) => {
      assertHash(h, `compact range hash ${i}`);
    });
    const range = new CompactRange();
    range.#size = size;
    range.#hashes = hashes.map((h) => Uint8Array.from(h));
    return range;
  }

  /** The number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash (from `leafHash`). Amortised one node hash per append: the new leaf
   * merges with as many equal-height subtrees as `size` has trailing one bits, like a binary
   * counter's carry. Throws ISOTYP_INVALID_INPUT for a hash that is not 32 bytes.
   */
  append(leaf: Uint8Array): void {
    assertHash(leaf, 'leaf hash');
    if (this.#size === Number.MAX_SAFE_INTEGER) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', 'The tree is full: its size would exceed 2^53 - 1.');
    }
    let hash: Uint8Array = Uint8Array.from(leaf);
    for (let s = this.#size; isOdd(s); s = half(s)) {
      // The invariant (one hash per set bit) guarantees a left sibling exists here.
      hash = nodeHash(this.#hashes.pop() as Uint8Array, hash);
    }
    this.#hashes.push(hash);
    this.#size++;
  }

  /**
   * The RFC 6962 root of the leaves so far: the perfect subtrees folded right to left, which is
   * exactly MTH's split at the largest power of two below the size. O(log n) node hashes.
   */
  root(): Uint8Array {
    const last = this.#hashes.length - 1;
    if (last < 0) return emptyRoot();
    let root: Uint8Array = (this.#hashes[last] as Uint8Array).slice();
    for (let i = last - 1; i >= 0; i--) root = nodeHash(this.#hashes[i] as Uint8Array, root);
    return root;
  }

  /** The perfect-subtree roots, leftmost first (copies): what `restore` needs besides `size`. */
  hashes(): Uint8Array[] {
    return this.#hashes.map((h) => h.slice());
  }

  /** An independent copy, e.g. to compute a checkpoint while appends continue. */
  clone(): CompactRange {
    const copy = new CompactRange();
    copy.#size = this.#size;
    copy.#hashes = this.#hashes.map((h) => h.slice());
    return copy;
  }
}
