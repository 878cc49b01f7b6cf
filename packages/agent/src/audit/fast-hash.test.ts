import { CompactRange, emptyRoot, leafHash, nodeHash, rootOf } from '@isotyp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HexRange, leafHex, nodeHex } from './fast-hash.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const utf8 = (text: string) => new TextEncoder().encode(text);

describe("the agent's node:crypto RFC 6962 hashing", () => {
  it("hashes leaves exactly as protocol's leafHash, for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(leafHex(text)).toBe(hex(leafHash(utf8(text))));
      }),
    );
    expect(leafHex('')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it("hashes nodes exactly as protocol's nodeHash, and refuses anything but two hex hashes", () => {
    fc.assert(
      fc.property(hash32, hash32, (left, right) => {
        expect(nodeHex(hex(left), hex(right))).toBe(hex(nodeHash(left, right)));
      }),
    );
    const h = leafHex('x');
    for (const [left, right] of [
      [h.slice(2), h],
      [h, `${h}00`],
      [`${h.slice(0, 62)}zz`, h],
      [h, ''],
    ] as const) {
      expect(() => nodeHex(left, right)).toThrow(/two 64-character hex hashes/);
    }
  });

  it("builds the same tree as protocol's CompactRange and rootOf, at every size up to 300", () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(utf8(`entry ${i}`)));
    const fast = new HexRange();
    const reference = new CompactRange();
    expect(fast.rootHex()).toBe(hex(emptyRoot()));
    for (const [i, leaf] of leaves.entries()) {
      fast.append(hex(leaf));
      reference.append(leaf);
      expect(fast.size).toBe(i + 1);
      expect(fast.hashes).toEqual(reference.hashes().map(hex));
      expect(fast.rootHex()).toBe(hex(rootOf(leaves.slice(0, i + 1))));
      expect(fast.root()).toEqual(reference.root());
    }
  });

  it('restores a saved range and checks that its size and hashes fit', () => {
    const range = new HexRange();
    for (let i = 0; i < 11; i++) range.append(leafHex(String(i)));
    const restored = HexRange.restore(
      11,
      range.hashes.map((h) => h.toUpperCase()),
    );
    expect(restored.hashes).toEqual(range.hashes);
    restored.append(leafHex('11'));
    range.append(leafHex('11'));
    expect(restored.rootHex()).toBe(range.rootHex());
    expect(() => HexRange.restore(13, range.hashes)).toThrow(/holds 3 hashes/);
    expect(() => HexRange.restore(1, ['00'])).toThrow(/32-byte/);
    expect(() => HexRange.restore(-1, [])).toThrow(/tree size/);
  });
});
