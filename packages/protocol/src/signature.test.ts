import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './encoding.js';
import {
  decodePublicKey,
  encodePublicKey,
  generateKeyPair,
  hasSmallOrder,
  KEY_ID_PATTERN,
  keyId,
  keyPairFromSeed,
  scalarIsCanonical,
  sign,
  verify,
} from './signature.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

function bigIntToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

describe('Ed25519', () => {
  it('matches RFC 8032 test vector 1', () => {
    const pair = keyPairFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(toHex(pair.publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = sign(new Uint8Array(0), pair.secretKey);
    expect(toHex(sig)).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(verify(new Uint8Array(0), sig, pair.publicKey)).toBe(true);
  });

  it('interoperates with node:crypto both ways', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const message = new TextEncoder().encode('approve change 42');
    expect(verify(message, new Uint8Array(nodeSign(null, message, privateKey)), new Uint8Array(raw))).toBe(true);
    const ours = generateKeyPair();
    const sig = sign(message, ours.secretKey);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), ours.publicKey]);
    expect(nodeVerify(null, message, { key: spki, format: 'der', type: 'spki' }, sig)).toBe(true);
  });

  it('rejects a wrong key, an altered message and an altered signature', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (message, flip) => {
        const sig = sign(message, a.secretKey);
        expect(verify(message, sig, a.publicKey)).toBe(true);
        expect(verify(message, sig, b.publicKey)).toBe(false);
        const m2 = message.slice();
        m2[flip % m2.length] = ((m2[flip % m2.length] as number) ^ 1) & 0xff;
        expect(verify(m2, sig, a.publicKey)).toBe(false);
        const s2 = sig.slice();
        s2[flip % 64] = ((s2[flip % 64] as number) ^ 0x80) & 0xff;
        expect(verify(message, s2, a.publicKey)).toBe(false);
        expect(verify(message, sig.subarray(0, 63), a.publicKey)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a malleated signature (S + L) that tweetnacl alone accepts', () => {
    const pair = generateKeyPair();
    const message = new TextEncoder().encode('plan sha256:…');
    const sig = sign(message, pair.secretKey);
    const s = leToBigInt(sig.subarray(32));
    const malleated = sig.slice();
    malleated.set(bigIntToLe(s + L, 32), 32);
    expect(s + L < 2n ** 256n).toBe(true);
    expect(nacl.sign.detached.verify(message, malleated, pair.publicKey)).toBe(true);
    expect(verify(message, malleated, pair.publicKey)).toBe(false);
  });

  it('rejects the small-order key for which one signature verifies every message', () => {
    const identity = Uint8Array.from([1, ...new Array<number>(31).fill(0)]);
    const universal = new Uint8Array(64);
    universal[0] = 1; // R = identity, S = 0
    const message = new TextEncoder().encode('anything at all');
    expect(nacl.sign.detached.verify(message, universal, identity)).toBe(true);
    expect(verify(message, universal, identity)).toBe(false);
    expect(hasSmallOrder(identity)).toBe(true);
    expect(() => keyId(identity)).toThrow(/small-order/);
  });

  it('verifies Node Buffers without touching the caller’s bytes', () => {
    for (let i = 0; i < 20; i++) {
      const pair = generateKeyPair();
      const message = Buffer.from(`message ${i}`);
      const sig = Buffer.from(sign(message, pair.secretKey));
      const key = Buffer.from(pair.publicKey);
      const before = Buffer.concat([sig, key]);
      expect(verify(message, sig, key)).toBe(true);
      expect(Buffer.concat([sig, key])).toEqual(before);
    }
  });

  it('checks S against the group order exactly at the boundary', () => {
    expect(scalarIsCanonical(bigIntToLe(L - 1n, 32))).toBe(true);
    expect(scalarIsCanonical(bigIntToLe(L, 32))).toBe(false);
    expect(scalarIsCanonical(bigIntToLe(L + 1n, 32))).toBe(false);
    expect(scalarIsCanonical(bigIntToLe(0n, 32))).toBe(true);
  });

  it('derives stable, distinct key ids and round-trips public keys', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(keyId(a.publicKey)).toMatch(KEY_ID_PATTERN);
    expect(keyId(a.publicKey)).toBe(keyId(a.publicKey.slice()));
    expect(keyId(a.publicKey)).not.toBe(keyId(b.publicKey));
    expect(decodePublicKey(encodePublicKey(a.publicKey))).toEqual(a.publicKey);
    expect(() => decodePublicKey('AAAA')).toThrow(/32 bytes/);
  });
});
