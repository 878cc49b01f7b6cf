import * as nodeCrypto from 'node:crypto';
import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from './encoding.js';
import {
  currentEd25519,
  decodePublicKey,
  encodePublicKey,
  generateKeyPair,
  hasSmallOrder,
  KEY_ID_PATTERN,
  keyId,
  keyPairFromSeed,
  nativeEd25519,
  scalarIsCanonical,
  sign,
  tweetnaclEd25519,
  useEd25519,
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

const native = nativeEd25519(nodeCrypto);

// Every check below runs on both backends: what the strict wrapper refuses, it refuses whichever
// primitive sits underneath.
describe.each([tweetnaclEd25519, native])('Ed25519 on $name', (backend) => {
  let previous: ReturnType<typeof useEd25519>;
  beforeAll(() => {
    previous = useEd25519(backend);
  });
  afterAll(() => {
    useEd25519(previous);
  });

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

describe('the native backend beside tweetnacl', () => {
  it('is what Node processes use unless told otherwise', () => {
    expect(currentEd25519().name).toBe('node:crypto');
  });

  it('signs byte for byte alike and reaches the same verdict on good, altered and foreign input', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat(),
        (seed, message, randomKey, flip) => {
          const pair = keyPairFromSeed(seed);
          const sig = tweetnaclEd25519.sign(message, pair.secretKey);
          expect(native.sign(message, pair.secretKey)).toEqual(sig);
          const altered = sig.slice();
          altered[flip % 64] = ((altered[flip % 64] as number) ^ (1 << (flip % 8))) & 0xff;
          for (const [m, s, k] of [
            [message, sig, pair.publicKey],
            [message, altered, pair.publicKey],
            [message, sig, randomKey],
          ] as const) {
            expect(native.verify(m, s, k)).toBe(tweetnaclEd25519.verify(m, s, k));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers false, not an exception, for a public key that is no point on the curve', () => {
    // y = 2 has no x on edwards25519: OpenSSL cannot even parse it as a key.
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    const sig = sign(new Uint8Array(1), generateKeyPair().secretKey);
    expect(native.verify(new Uint8Array(1), sig, notAPoint)).toBe(false);
    expect(tweetnaclEd25519.verify(new Uint8Array(1), sig, notAPoint)).toBe(false);
  });

  it('keeps using the right key when many keys pass through its caches', () => {
    const pairs = Array.from({ length: 80 }, () => generateKeyPair());
    const message = new TextEncoder().encode('one of many');
    for (const pair of [...pairs, ...pairs.slice(0, 10)]) {
      const sig = native.sign(message, pair.secretKey);
      expect(sig).toEqual(tweetnaclEd25519.sign(message, pair.secretKey));
      expect(native.verify(message, sig, pair.publicKey)).toBe(true);
    }
  });
});
