import { sha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { z } from 'zod';
import { taggedHash } from './digest.js';
import { bytesEqual, fromBase64Url, toBase64Url } from './encoding.js';
import { IsotypError } from './errors/isotyp-error.js';

export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 64;
export const SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** `ed25519:` and the base64url SHA-256 (domain `key-id`) of the public key. */
export type KeyId = string & { readonly __keyId: true };
export const KEY_ID_PATTERN = /^ed25519:[A-Za-z0-9_-]{43}$/;
export const keyIdSchema = z.string().regex(KEY_ID_PATTERN, 'expected ed25519:<43 base64url characters>');

export interface Ed25519KeyPair {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte form: seed followed by the public key. */
  secretKey: Uint8Array;
}

/** A fresh key pair from the platform's CSPRNG (crypto.getRandomValues). */
export function generateKeyPair(): Ed25519KeyPair {
  return nacl.sign.keyPair();
}

/** The key pair for a 32-byte seed (how keys are stored and imported). */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== SEED_BYTES) {
    throw new IsotypError('ISOTYP_KEY_INVALID', `An Ed25519 seed is ${SEED_BYTES} bytes, got ${seed.length}.`);
  }
  return nacl.sign.keyPair.fromSeed(seed);
}

/** The stable identifier of a public key; safe to show, log and use as a lookup key. */
export function keyId(publicKey: Uint8Array): KeyId {
  assertPublicKey(publicKey);
  return `ed25519:${toBase64Url(taggedHash('key-id', publicKey))}` as KeyId;
}

export function encodePublicKey(publicKey: Uint8Array): string {
  assertPublicKey(publicKey);
  return toBase64Url(publicKey);
}

/** Decodes a base64url public key and refuses malformed or small-order keys. */
export function decodePublicKey(text: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = fromBase64Url(text, PUBLIC_KEY_BYTES);
  } catch {
    throw new IsotypError('ISOTYP_KEY_INVALID', 'A public key must be 32 bytes of unpadded base64url.');
  }
  assertPublicKey(key);
  return key;
}

/**
 * The primitive Ed25519 operations, without the checks around them. On Node they run on
 * OpenSSL (`nativeEd25519`, about 100× faster), in browsers on tweetnacl's pure JavaScript;
 * `useEd25519` overrides the choice. Both produce the same signatures
 * (Ed25519 is deterministic) and `verify` applies the same strict checks before either runs.
 */
export interface Ed25519Backend {
  readonly name: string;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
}

export const tweetnaclEd25519: Ed25519Backend = {
  name: 'tweetnacl',
  sign: (message, secretKey) => nacl.sign.detached(message, secretKey),
  verify: (message, signature, publicKey) => nacl.sign.detached.verify(message, signature, publicKey),
};

/**
 * Node's OpenSSL when this runs on Node (found through `process.getBuiltinModule`, Node ≥ 20.16,
 * so that nothing here imports a node: module and browsers never see one), else tweetnacl.
 */
function platformEd25519(): Ed25519Backend {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const crypto = runtime?.getBuiltinModule?.('node:crypto') as NodeCryptoLike | undefined;
  return crypto === undefined ? tweetnaclEd25519 : nativeEd25519(crypto);
}

let backend: Ed25519Backend | undefined;

/**
 * Chooses the backend for every later `sign` and `verify` in this process; `undefined` goes
 * back to tweetnacl. Returns the one it replaces.
 *
 * @example
 * useEd25519(tweetnaclEd25519); // pure JavaScript even on Node
 */
export function useEd25519(next: Ed25519Backend | undefined): Ed25519Backend {
  const previous = currentEd25519();
  backend = next ?? tweetnaclEd25519;
  return previous;
}

/** The backend `sign` and `verify` use: chosen on first use, see `platformEd25519`. */
export function currentEd25519(): Ed25519Backend {
  backend ??= platformEd25519();
  return backend;
}

/** The few members of Node's `node:crypto` the native backend calls (protocol imports no node: module). */
export interface NodeCryptoLike {
  // `never`: Node's own types are what the calls below must satisfy, and they are not in scope here.
  createPublicKey(options: never): unknown;
  createPrivateKey(options: never): unknown;
  sign(algorithm: null, data: Uint8Array, key: never): Uint8Array;
  verify(algorithm: null, data: Uint8Array, key: never, signature: Uint8Array): boolean;
}

/** DER prefixes of an Ed25519 SubjectPublicKeyInfo and PKCS #8 PrivateKeyInfo (RFC 8410). */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** Parsed keys kept per backend: a few signing keys, many verifying ones. */
const KEY_CACHE = { secret: 64, public: 4096 };

/** Ed25519 on Node's OpenSSL. Key objects are parsed once per key and kept (bounded). */
export function nativeEd25519(crypto: NodeCryptoLike): Ed25519Backend {
  const publicKeys = new Map<string, unknown>();
  const secretKeys = new Map<string, unknown>();
  const keyOf = (cache: Map<string, unknown>, limit: number, id: string, make: () => unknown) => {
    let key = cache.get(id);
    if (key === undefined) {
      if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      key = make();
      cache.set(id, key);
    }
    return key as never;
  };
  const der = (prefix: Uint8Array, key: Uint8Array) => {
    const out = new Uint8Array(prefix.length + key.length);
    out.set(prefix);
    out.set(key, prefix.length);
    return out;
  };
  return {
    name: 'node:crypto',
    sign(message, secretKey) {
      // The seed is the first half of tweetnacl's 64-byte form; the public key is derived again.
      const seed = secretKey.subarray(0, SEED_BYTES);
      // Kept under a hash of the secret key, so no copy of it lingers as a string.
      const key = keyOf(secretKeys, KEY_CACHE.secret, toBase64Url(sha256(secretKey)), () =>
        crypto.createPrivateKey({ key: der(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' } as never),
      );
      return Uint8Array.from(crypto.sign(null, message, key));
    },
    verify(message, signature, publicKey) {
      try {
        const key = keyOf(publicKeys, KEY_CACHE.public, toBase64Url(publicKey), () =>
          crypto.createPublicKey({ key: der(SPKI_PREFIX, publicKey), format: 'der', type: 'spki' } as never),
        );
        return crypto.verify(null, message, key, signature);
      } catch {
        // OpenSSL refuses a public key that is not a point on the curve; that is a failed verification.
        return false;
      }
    },
  };
}

/** Detached Ed25519 signature over `message`. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== SECRET_KEY_BYTES) {
    throw new IsotypError(
      'ISOTYP_KEY_INVALID',
      `An Ed25519 secret key is ${SECRET_KEY_BYTES} bytes, got ${secretKey.length}.`,
    );
  }
  return currentEd25519().sign(message, secretKey);
}

/**
 * Strict Ed25519 verification. Before the backend sees the signature it refuses what RFC 8032
 * forbids but tweetnacl accepts: a scalar S that is not below the group order L (which makes
 * signatures malleable: S and S + L both verify), and public keys of small order (for which
 * one signature verifies for every message). Returns false, never throws, on any bad input.
 */
export function verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  if (!scalarIsCanonical(signature.subarray(32))) return false;
  if (hasSmallOrder(publicKey) || hasSmallOrder(signature.subarray(0, 32))) return false;
  return currentEd25519().verify(message, signature, publicKey);
}

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const GROUP_ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/** True when the 32-byte little-endian scalar is strictly below L. */
export function scalarIsCanonical(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const a = s[i] as number;
    const b = GROUP_ORDER[i] as number;
    if (a < b) return true;
    if (a > b) return false;
  }
  return false; // S == L
}

/**
 * Encodings of the points of order 1, 2, 4 and 8 (and their non-canonical twins), compared
 * ignoring the sign bit, as libsodium does.
 */
const SMALL_ORDER_POINTS: readonly Uint8Array[] = [
  new Uint8Array(32),
  Uint8Array.from([1, ...new Array<number>(31).fill(0)]),
  Uint8Array.from([
    0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac,
    0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05,
  ]),
  Uint8Array.from([
    0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53,
    0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
  ]),
  Uint8Array.from([0xec, ...new Array<number>(30).fill(0xff), 0x7f]),
  Uint8Array.from([0xed, ...new Array<number>(30).fill(0xff), 0x7f]),
  Uint8Array.from([0xee, ...new Array<number>(30).fill(0xff), 0x7f]),
];

/** True when a point encoding is one of the small-order points. */
export function hasSmallOrder(point: Uint8Array): boolean {
  // Copy through Uint8Array.from: on a Node Buffer, slice() returns a view and masking would
  // write into the caller's bytes.
  const masked = Uint8Array.from(point);
  masked[31] = (masked[31] as number) & 0x7f;
  return SMALL_ORDER_POINTS.some((p) => bytesEqual(p, masked));
}

function assertPublicKey(publicKey: Uint8Array): void {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new IsotypError(
      'ISOTYP_KEY_INVALID',
      `An Ed25519 public key is ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}.`,
    );
  }
  if (hasSmallOrder(publicKey)) {
    throw new IsotypError('ISOTYP_KEY_INVALID', 'The public key is a small-order point and cannot be trusted.', {
      hint: 'Generate a new key with isotyp keys generate.',
    });
  }
}
