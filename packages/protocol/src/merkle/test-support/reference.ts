import { sha256 } from '@noble/hashes/sha2.js';

// A deliberately naive transcription of the recursive definitions in RFC 9162 §2.1 (array
// slices, recursion, fresh concatenations): slow, but simple enough to trust, and sharing no
// code with the implementation it checks. Test use only; excluded from the build.

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function k(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function naiveLeaf(data: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(0), data));
}

export function naiveNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat(Uint8Array.of(1), left, right));
}

/** MTH(D[n]). */
export function naiveRoot(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0] as Uint8Array;
  const split = k(d.length);
  return naiveNode(naiveRoot(d.slice(0, split)), naiveRoot(d.slice(split)));
}

/** PATH(m, D[n]). */
export function naivePath(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const split = k(d.length);
  if (m < split) return [...naivePath(m, d.slice(0, split)), naiveRoot(d.slice(split))];
  return [...naivePath(m - split, d.slice(split)), naiveRoot(d.slice(0, split))];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function naiveProof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [naiveRoot(d)];
  const split = k(d.length);
  if (m <= split) return [...subproof(m, d.slice(0, split), b), naiveRoot(d.slice(split))];
  return [...subproof(m - split, d.slice(split), false), naiveRoot(d.slice(0, split))];
}

const is32 = (h: Uint8Array): boolean => h.length === 32;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Verifies an inclusion proof by replaying the recursion of PATH instead of RFC 9162's bit
 * walk: a second opinion for inputs (tampered sizes, indices) where the answer is not obvious.
 */
export function naiveVerifyInclusion(
  m: number,
  n: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m >= n) return false;
  if (![leaf, ...proof].every(is32)) return false;
  const rest = [...proof];
  const walk = (m: number, n: number): Uint8Array | undefined => {
    if (n === 1) return leaf;
    const sibling = rest.pop();
    if (sibling === undefined) return undefined;
    const split = k(n);
    const below = m < split ? walk(m, split) : walk(m - split, n - split);
    if (below === undefined) return undefined;
    return m < split ? naiveNode(below, sibling) : naiveNode(sibling, below);
  };
  const computed = walk(m, n);
  return computed !== undefined && rest.length === 0 && same(computed, root);
}

/** Verifies a consistency proof by replaying the recursion of SUBPROOF (0 < m < n). */
export function naiveVerifyConsistency(
  m: number,
  n: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || m >= n) return false;
  if (!proof.every(is32)) return false;
  const rest = [...proof];
  // Returns [old root, new root] of the subtree D[0:n] restricted to its first m leaves.
  const walk = (m: number, n: number, b: boolean): [Uint8Array, Uint8Array] | undefined => {
    if (m === n) {
      if (b) return [root1, root1];
      const x = rest.pop();
      return x === undefined ? undefined : [x, x];
    }
    const sibling = rest.pop();
    if (sibling === undefined) return undefined;
    const split = k(n);
    if (m <= split) {
      const below = walk(m, split, b);
      return below && [below[0], naiveNode(below[1], sibling)];
    }
    const below = walk(m - split, n - split, false);
    return below && [naiveNode(sibling, below[0]), naiveNode(sibling, below[1])];
  };
  const roots = walk(m, n, true);
  return roots !== undefined && rest.length === 0 && same(roots[0], root1) && same(roots[1], root2);
}
