import { hash } from 'node:crypto';
import { CompactRange, IsotypError } from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';

const HASH_SIZE = 32;

/**
 * A compact range (see protocol's CompactRange) hashed with node:crypto and kept as Buffers,
 * because rebuilding a million-leaf tree is the hot path of verify. The root still comes from
 * protocol's CompactRange, and the tests check the result against `rootOf`.
 */
export class FastRange {
  size: number;
  readonly hashes: Buffer[];
  // One reused node input (0x01 ‖ left ‖ right); hash() is synchronous so nothing races on it.
  readonly #node = Buffer.alloc(1 + 2 * HASH_SIZE, 1);

  constructor(size = 0, hashes: Buffer[] = []) {
    // restore() validates the pair (one hash per set bit of size, 32 bytes each).
    CompactRange.restore(size, hashes);
    this.size = size;
    this.hashes = hashes;
  }

  append(leaf: Buffer): void {
    let h = leaf;
    // Like a binary counter's carry: merge with one equal-height subtree per trailing one bit.
    for (let s = this.size; s % 2 === 1; s = Math.floor(s / 2)) {
      (this.hashes.pop() as Buffer).copy(this.#node, 1);
      h.copy(this.#node, 1 + HASH_SIZE);
      h = hash('sha256', this.#node, 'buffer');
    }
    this.hashes.push(h);
    this.size++;
  }

  root(): Uint8Array {
    return CompactRange.restore(this.size, this.hashes).root();
  }

  /** The leaf count of each perfect subtree, leftmost first (the set bits of size, high to low). */
  subtreeSizes(): number[] {
    const sizes: number[] = [];
    for (let bit = 2 ** 52; bit >= 1; bit /= 2) if (Math.floor(this.size / bit) % 2 === 1) sizes.push(bit);
    return sizes;
  }
}

/** Reads the persisted range; an absent row is the empty log. Throws ISOTYP_CONFLICT if corrupt. */
export function readState(db: BetterSqlite3.Database): FastRange {
  const row = db.prepare('SELECT size, hashes FROM state WHERE id = 1').get() as
    | { size: unknown; hashes: unknown }
    | undefined;
  if (row === undefined) return new FastRange();
  const { size, hashes } = row;
  if (typeof size !== 'number' || !Buffer.isBuffer(hashes) || hashes.length % HASH_SIZE !== 0) {
    throw corrupt();
  }
  const list: Buffer[] = [];
  for (let i = 0; i < hashes.length; i += HASH_SIZE) list.push(Buffer.from(hashes.subarray(i, i + HASH_SIZE)));
  try {
    return new FastRange(size, list);
  } catch (cause) {
    throw corrupt(cause);
  }
}

/** Persists the range; call inside the transaction that appended its leaves. */
export function writeState(db: BetterSqlite3.Database, range: FastRange): void {
  db.prepare('INSERT OR REPLACE INTO state (id, size, hashes) VALUES (1, ?, ?)').run(
    range.size,
    Buffer.concat(range.hashes),
  );
}

function corrupt(cause?: unknown): IsotypError {
  return new IsotypError('ISOTYP_CONFLICT', "The audit log's stored tree state is corrupt.", {
    hint: 'Run `isotyp audit verify`; the log may have been edited outside Isotyp.',
    cause,
  });
}
