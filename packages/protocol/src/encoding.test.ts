import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, fromBase64, fromBase64Url, fromHex, toBase64, toBase64Url, toHex } from './encoding.js';

describe('base64url', () => {
  it('matches Node’s encoder and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts exactly one encoding per byte string', () => {
    // 'AB' and 'AA' would both decode to [0] under a lenient decoder; only 'AA' is canonical.
    expect(fromBase64Url('AA')).toEqual(Uint8Array.of(0));
    expect(() => fromBase64Url('AB')).toThrow(/non-zero padding bits/);
    expect(() => fromBase64Url('AA==')).toThrow(/alphabet/);
    expect(() => fromBase64Url('A+/A')).toThrow(/alphabet/);
    expect(() => fromBase64Url('A A')).toThrow(/alphabet/);
    expect(() => fromBase64Url('A')).toThrow(/length/);
    expect(() => fromBase64Url('AAAA', 4)).toThrow(/expected 4/);
  });
});

describe('hex', () => {
  it('round-trips and refuses upper case or odd lengths', () => {
    expect(toHex(Uint8Array.of(0, 15, 255))).toBe('000fff');
    expect(fromHex('000fff')).toEqual(Uint8Array.of(0, 15, 255));
    expect(() => fromHex('0F')).toThrow();
    expect(() => fromHex('abc')).toThrow();
  });
});

describe('bytesEqual', () => {
  it('compares content and length', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
});

describe('standard base64', () => {
  it('matches Node’s encoder, round-trips and refuses sloppy padding or url-safe characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromBase64(text)).toEqual(bytes);
      }),
    );
    expect(() => fromBase64('AA')).toThrow();
    expect(() => fromBase64('AA=')).toThrow();
    expect(() => fromBase64('AB==')).toThrow();
    expect(() => fromBase64('-_8=')).toThrow();
    expect(fromBase64('+/8=')).toEqual(Uint8Array.of(0xfb, 0xff));
  });
});
