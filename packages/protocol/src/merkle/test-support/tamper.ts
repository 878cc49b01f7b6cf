// Helpers for the property tests: flip one bit somewhere in a list of byte strings without
// touching the originals. Test use only; excluded from the build.

/** Total number of bytes across `parts`. */
export function byteCount(parts: readonly Uint8Array[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

/** Copies of `parts` with byte `position` (counted across all parts) XORed with `mask`. */
export function flipByte(parts: readonly Uint8Array[], position: number, mask: number): Uint8Array[] {
  let remaining = position;
  return parts.map((part) => {
    const copy = part.slice();
    if (remaining >= 0 && remaining < copy.length) copy[remaining] = (copy[remaining] as number) ^ mask;
    remaining -= part.length;
    return copy;
  });
}
