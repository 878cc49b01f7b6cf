import { hash } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';

const HASH = 32;
const EMPTY_ROOT = hash('sha256', '', 'buffer');

/** A growable column of 32-byte hashes in one buffer (no object per hash for the GC to track). */
class HashColumn {
  #buffer = Buffer.alloc(HASH * 1024);
  length = 0;

  push(h: Uint8Array): void {
    if ((this.length + 1) * HASH > this.#buffer.length) {
      const grown = Buffer.alloc(this.#buffer.length * 2);
      this.#buffer.copy(grown);
      this.#buffer = grown;
    }
    this.#buffer.set(h, this.length * HASH);
    this.length++;
  }

  at(i: number): Buffer {
    return this.#buffer.subarray(i * HASH, (i + 1) * HASH);
  }
}

/** SHA-256(0x01 ‖ left ‖ right), equal to protocol's nodeHash; node:crypto is the fast path here. */
function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(1 + 2 * HASH);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH);
  return hash('sha256', input, 'buffer');
}

/** The largest power of two strictly below n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/**
 * Every leaf of the control plane's log and every complete aligned subtree above them, kept in
 * memory: `levels[h][i]` is the root of leaves [i·2^h, (i+1)·2^h). About 64 bytes a leaf, and an
 * append costs one node hash amortised. Any subtree RFC 6962 proofs need is then a lookup or a
 * fold of O(log n) lookups, so a proof against any tree size costs O(log² n), not O(n).
 *
 * @example
 * const cache = new MerkleCache();
 * cache.append(leaf);
 * const proof = cache.inclusionProof(seq, cache.size);
 */
export class MerkleCache {
  readonly #levels: HashColumn[] = [new HashColumn()];

  get size(): number {
    return (this.#levels[0] as HashColumn).length;
  }

  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH) throw new TypeError('a leaf hash is 32 bytes');
    let h: Uint8Array = leaf;
    for (let level = 0; ; level++) {
      const column = this.#levels[level] ?? new HashColumn();
      this.#levels[level] = column;
      column.push(h);
      if (column.length % 2 === 1) return;
      h = nodeHash(column.at(column.length - 2), column.at(column.length - 1));
    }
  }

  /** The root of the tree of the first `size` leaves (SHA-256 of nothing for 0). */
  root(size = this.size): Uint8Array {
    this.#checkSize(size);
    return size === 0 ? Uint8Array.from(EMPTY_ROOT) : Uint8Array.from(this.#range(0, size));
  }

  /** RFC 9162 §2.1.3.1 PATH of leaf `index` in the tree of `size` leaves, lowest sibling first. */
  inclusionProof(index: number, size: number): Uint8Array[] {
    this.#checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw invalid(`leaf ${index} is outside a tree of ${size} leaves`);
    }
    const proof: Uint8Array[] = [];
    let start = 0;
    let end = size;
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (index < start + k) {
        proof.push(this.#range(start + k, end));
        end = start + k;
      } else {
        proof.push(this.#range(start, start + k));
        start += k;
      }
    }
    return proof.reverse().map((h) => Uint8Array.from(h));
  }

  /** RFC 9162 §2.1.4.1 PROOF that the tree of `size1` leaves is a prefix of that of `size2`. */
  consistencyProof(size1: number, size2: number): Uint8Array[] {
    this.#checkSize(size2);
    if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
      throw invalid(`a consistency proof needs 0 < from ≤ to, got from ${size1} and to ${size2}`);
    }
    const proof: Uint8Array[] = [];
    let start = 0;
    let end = size2;
    let m = size1;
    let knownRoot = true;
    while (m !== end - start) {
      const k = splitPoint(end - start);
      if (m <= k) {
        proof.push(this.#range(start + k, end));
        end = start + k;
      } else {
        proof.push(this.#range(start, start + k));
        start += k;
        m -= k;
        knownRoot = false;
      }
    }
    if (!knownRoot) proof.push(this.#range(start, end));
    return proof.reverse().map((h) => Uint8Array.from(h));
  }

  /** MTH(D[start:end]) for a non-empty range: a stored node when it is an aligned power of two. */
  #range(start: number, end: number): Buffer {
    const n = end - start;
    if (isPowerOfTwo(n) && start % n === 0) {
      const level = Math.round(Math.log2(n));
      return (this.#levels[level] as HashColumn).at(start / n);
    }
    const k = splitPoint(n);
    return nodeHash(this.#range(start, start + k), this.#range(start + k, end));
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw invalid(`tree size ${size} is not one this log has had (it holds ${this.size} entries)`);
    }
  }
}

function invalid(why: string): IsotypError {
  return new IsotypError('ISOTYP_INVALID_INPUT', `Cannot prove that: ${why}.`, {
    hint: 'Ask for sizes up to the current checkpoint, e.g. GET /v1/audit/checkpoint.',
  });
}
