// Tree sizes and indices go up to Number.MAX_SAFE_INTEGER (2^53 - 1), past the 32 bits that
// JavaScript's bitwise operators work on, so every bit operation here is plain arithmetic.

/** True for an integer that can be a tree size or a leaf index: 0 ≤ n ≤ 2^53 - 1. */
export function isTreeSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/** n >> 1 for any safe integer. */
export function half(n: number): number {
  return Math.floor(n / 2);
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let v = n;
  while (!isOdd(v)) v = half(v);
  return v === 1;
}

/** The k of RFC 9162 §2.1.1: the largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Number of set bits: the number of perfect subtrees in a tree of size n. */
export function popCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = half(v)) if (isOdd(v)) count++;
  return count;
}
