import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { canonicalBytes } from './canonical-json.js';
import { toHex } from './encoding.js';
import { IsotypError } from './errors/isotyp-error.js';

/**
 * Every kind of object Isotyp digests. Each gets its own domain tag, so the digest of a schema
 * can never equal the digest of a plan (or anything else) with the same bytes. Append only:
 * renaming a kind changes every digest of it.
 */
export const digestKinds = [
  'schema',
  'plan',
  'manifest',
  'change-request',
  'approval',
  'policy',
  'keyring',
  'envelope',
  'audit-entry',
  'checkpoint',
  'suggestion',
  'definition',
  'key-id',
  'history-entry',
] as const;

export type DigestKind = (typeof digestKinds)[number];

/**
 * A `sha256:<64 hex>` digest. The brand records the kind at compile time so a schema digest
 * cannot be passed where a plan digest is expected; at run time the domain tag inside the hash
 * keeps kinds apart.
 */
export type Digest<K extends DigestKind = DigestKind> = string & { readonly __digestKind: K };

export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** zod schema for a digest string of any kind. */
export const digestSchema = z.string().regex(DIGEST_PATTERN, 'expected sha256:<64 lower-case hex digits>');

const encoder = new TextEncoder();
const tagCache = new Map<DigestKind, Uint8Array>();

/** The domain-separation prefix: `isotyp:<kind>:v1` followed by a NUL byte. */
export function domainTag(kind: DigestKind): Uint8Array {
  let tag = tagCache.get(kind);
  if (tag === undefined) {
    if (!(digestKinds as readonly string[]).includes(kind)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `Unknown digest kind "${String(kind)}".`);
    }
    tag = encoder.encode(`isotyp:${kind}:v1\u0000`);
    tagCache.set(kind, tag);
  }
  return tag;
}

/** The raw 32-byte SHA-256 over the domain tag of `kind` followed by `bytes`. */
export function taggedHash(kind: DigestKind, bytes: Uint8Array): Uint8Array {
  return sha256.create().update(domainTag(kind)).update(bytes).digest();
}

/** SHA-256 over the domain tag of `kind` followed by `bytes`, as `sha256:<hex>`. */
export function digestBytes<K extends DigestKind>(kind: K, bytes: Uint8Array): Digest<K> {
  return `sha256:${toHex(taggedHash(kind, bytes))}` as Digest<K>;
}

/**
 * The digest of a JSON value: SHA-256 over the domain tag and the value's RFC 8785 bytes.
 *
 * @example
 * const d = digest('schema', model); // 'sha256:3f…'
 */
export function digest<K extends DigestKind>(kind: K, value: unknown): Digest<K> {
  return digestBytes(kind, canonicalBytes(value));
}

/** Narrows a string to a digest, throwing ISOTYP_INVALID_INPUT when it is not one. */
export function parseDigest<K extends DigestKind>(_kind: K, text: string): Digest<K> {
  if (!DIGEST_PATTERN.test(text)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'Not a digest: expected sha256:<64 lower-case hex digits>.');
  }
  return text as Digest<K>;
}

/** Throws ISOTYP_DIGEST_MISMATCH unless `value` digests to `expected` under `kind`. */
export function assertDigest<K extends DigestKind>(kind: K, value: unknown, expected: string): Digest<K> {
  const actual = digest(kind, value);
  if (actual !== expected) {
    throw new IsotypError('ISOTYP_DIGEST_MISMATCH', `The ${kind} digest is ${actual}, expected ${expected}.`, {
      hint: 'The object changed since it was digested; re-plan or fetch it again.',
      details: { kind, expected, actual },
    });
  }
  return actual;
}
