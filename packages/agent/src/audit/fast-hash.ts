import { hash } from 'node:crypto';
import { CompactRange } from '@isotyp/protocol';

/*
 * RFC 6962 hashing for the agent's hot paths (verify rebuilds a million-leaf tree), equal to
 * protocol's leafHash/nodeHash (fast-hash.test.ts pins both). Hashes travel as 64-character
 * lowercase hex strings: node:crypto's one-shot hash() returns a string several times faster
 * than a Buffer (each Buffer is a native allocation the GC must track), SQLite's hex() hands
 * stored leaves over the same way, and comparing two such strings is cheap.
 */

const HASH_HEX = 64;
/** 0x01 ‖ left ‖ right, reused: hash() is synchronous, so nothing else writes to it meanwhile. */
const nodeInput = Buffer.alloc(1 + HASH_HEX, 1);
const EMPTY_ROOT = hash('sha256', '');

/** SHA-256(0x00 ‖ utf8(text)) as hex: the leaf hash of an entry's text. */
export function leafHex(text: string): string {
  return hash('sha256', `\0${text}`);
}

/** SHA-256(0x01 ‖ left ‖ right) as hex. Both must be 64-character hex hashes, or it throws. */
export function nodeHex(left: string, right: string): string {
  // write() stops at the first character that is not hex, so 32 bytes written means all parsed.
  if (
    left.length !== HASH_HEX ||
    right.length !== HASH_HEX ||
    nodeInput.write(left, 1, 32, 'hex') !== 32 ||
    nodeInput.write(right, 33, 32, 'hex') !== 32
  ) {
    throw new TypeError('nodeHex takes two 64-character hex hashes');
  }
  return hash('sha256', nodeInput);
}

/**
 * A compact range (see protocol's CompactRange) over hex hashes: the roots of the perfect
 * subtrees covering leaves [0, size), leftmost first, one per set bit of size.
 */
export class HexRange {
  size = 0;
  readonly hashes: string[] = [];

  /** A range saved as `size` and `hashes`; throws ISOTYP_INVALID_INPUT unless they fit together. */
  static restore(size: number, hashes: readonly string[]): HexRange {
    // CompactRange.restore checks the pair: a safe size, one 32-byte hash per set bit of it.
    CompactRange.restore(size, hashes.map(fromHex));
    const range = new HexRange();
    range.size = size;
    range.hashes.push(...hashes.map((h) => Buffer.from(h, 'hex').toString('hex')));
    return range;
  }

  append(leaf: string): void {
    let h = leaf;
    // Like a binary counter's carry: merge with one equal-height subtree per trailing one bit.
    for (let s = this.size; s % 2 === 1; s = Math.floor(s / 2)) h = nodeHex(this.hashes.pop() as string, h);
    this.hashes.push(h);
    this.size++;
  }

  /** The root as hex: the subtrees folded right to left (RFC 6962 MTH), SHA-256("") when empty. */
  rootHex(): string {
    const last = this.hashes.length - 1;
    if (last < 0) return EMPTY_ROOT;
    let root = this.hashes[last] as string;
    for (let i = last - 1; i >= 0; i--) root = nodeHex(this.hashes[i] as string, root);
    return root;
  }

  /** The root computed by protocol's CompactRange from these subtree hashes. */
  root(): Uint8Array {
    return CompactRange.restore(this.size, this.hashes.map(fromHex)).root();
  }

  /** The leaf count of each perfect subtree, leftmost first (the set bits of size, high to low). */
  subtreeSizes(): number[] {
    const sizes: number[] = [];
    for (let bit = 2 ** 52; bit >= 1; bit /= 2) if (Math.floor(this.size / bit) % 2 === 1) sizes.push(bit);
    return sizes;
  }
}

function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
