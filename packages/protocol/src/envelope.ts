import nacl from 'tweetnacl';
import { z } from 'zod';
import { canonicalize, type JsonValue, parseCanonical } from './canonical-json.js';
import { type Digest, digest, domainTag } from './digest.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { IsotypError } from './errors/isotyp-error.js';
import { type KeyId, keyId, keyIdSchema, SIGNATURE_BYTES, sign, verify } from './signature.js';

export const ENVELOPE_VERSION = 1;
/** Envelopes larger than this are refused before parsing. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;
const NONCE_BYTES = 16;

/** Envelope types are dotted lower-case names, e.g. `isotyp.approval`. */
export const ENVELOPE_TYPE_PATTERN = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** The wire form of a signed envelope. */
export const envelopeSchema = z.strictObject({
  v: z.literal(ENVELOPE_VERSION),
  type: z.string().regex(ENVELOPE_TYPE_PATTERN),
  payload: z.json(),
  signer: keyIdSchema,
  sig: z.string().length(86),
  createdAt: z.string().regex(RFC3339_UTC),
  nonce: z.string().length(22),
});

export interface Envelope<T extends JsonValue = JsonValue> {
  v: typeof ENVELOPE_VERSION;
  type: string;
  payload: T;
  signer: KeyId;
  /** base64url Ed25519 signature over `signingInput()`. Never an id or a dedup key. */
  sig: string;
  createdAt: string;
  /** 16 random bytes, base64url. (signer, nonce) is the replay key. */
  nonce: string;
}

export interface SealOptions<T extends JsonValue> {
  type: string;
  payload: T;
  secretKey: Uint8Array;
  /** Defaults to now. */
  createdAt?: Date;
  /** Defaults to 16 random bytes. */
  nonce?: string;
}

/**
 * The bytes an envelope's signature covers: the envelope domain tag, then the canonical JSON
 * of every field but `sig`. Binding `type`, `signer`, `createdAt` and `nonce` means none can be
 * swapped without breaking the signature.
 */
export function signingInput(envelope: Omit<Envelope, 'sig'>): Uint8Array {
  const { v, type, payload, signer, createdAt, nonce } = envelope;
  const body = new TextEncoder().encode(canonicalize({ v, type, payload, signer, createdAt, nonce }));
  const tag = domainTag('envelope');
  const out = new Uint8Array(tag.length + body.length);
  out.set(tag);
  out.set(body, tag.length);
  return out;
}

/**
 * Signs a payload into an envelope.
 *
 * @example
 * const env = sealEnvelope({ type: 'isotyp.approval', payload, secretKey: keys.secretKey });
 * const wire = encodeEnvelope(env);
 */
export function sealEnvelope<T extends JsonValue>(options: SealOptions<T>): Envelope<T> {
  const { type, payload, secretKey } = options;
  if (!ENVELOPE_TYPE_PATTERN.test(type)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `"${type}" is not a valid envelope type.`);
  }
  const unsigned = {
    v: ENVELOPE_VERSION,
    type,
    payload,
    signer: keyId(secretKey.subarray(32)),
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    nonce: options.nonce ?? toBase64Url(nacl.randomBytes(NONCE_BYTES)),
  } as const;
  const sig = toBase64Url(sign(signingInput(unsigned), secretKey));
  return { ...unsigned, sig };
}

/** The canonical wire text of an envelope. */
export function encodeEnvelope(envelope: Envelope): string {
  return canonicalize(envelope);
}

/**
 * The envelope's id: the digest of everything the signature covers, so it is the same for
 * every valid signature over the same content and never derived from signature bytes.
 */
export function envelopeId(envelope: Omit<Envelope, 'sig'>): Digest<'envelope'> {
  const { v, type, payload, signer, createdAt, nonce } = envelope;
  return digest('envelope', { v, type, payload, signer, createdAt, nonce });
}

/** Resolves a key id to a trusted public key, or undefined when the key is not trusted. */
export type KeyResolver = (id: KeyId) => Uint8Array | undefined;

export interface OpenOptions<S extends z.ZodType> {
  /** The only envelope type accepted. */
  type: string;
  /** Trusted keys: a map from key id, or a resolver. */
  keys: ReadonlyMap<string, Uint8Array> | KeyResolver;
  /** Schema the payload must satisfy. */
  payload: S;
}

export interface Opened<T> {
  id: Digest<'envelope'>;
  payload: T;
  signer: KeyId;
  createdAt: string;
  nonce: string;
  envelope: Envelope;
}

/**
 * Verifies an envelope received as wire text or bytes. The input must be exactly the
 * canonical encoding: whitespace, re-ordered or duplicated keys and invalid UTF-8 are refused
 * before any signature check, so each envelope has a single accepted byte form.
 */
export function openEnvelope<S extends z.ZodType>(
  input: string | Uint8Array,
  options: OpenOptions<S>,
): Opened<z.output<S>> {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_ENVELOPE_BYTES) {
    throw new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `The envelope is larger than ${MAX_ENVELOPE_BYTES} bytes.`);
  }
  return verifyEnvelope(parseCanonical(input), options);
}

/**
 * Verifies an envelope that arrived as a parsed JSON value (e.g. inside a request body):
 * shape, version, type, trusted signer, strict signature, then the payload schema.
 */
export function verifyEnvelope<S extends z.ZodType>(value: unknown, options: OpenOptions<S>): Opened<z.output<S>> {
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== ENVELOPE_VERSION) {
    throw new IsotypError('ISOTYP_UNSUPPORTED_VERSION', `Envelope version ${String(value.v)} is not supported.`, {
      hint: `This build speaks envelope version ${ENVELOPE_VERSION}; upgrade the older side.`,
    });
  }
  const parsed = envelopeSchema.safeParse(value);
  if (!parsed.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', 'The envelope does not have the expected shape.', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const envelope = parsed.data as Envelope;
  if (!isRealTime(envelope.createdAt)) {
    throw new IsotypError(
      'ISOTYP_INVALID_INPUT',
      `The envelope's createdAt ${envelope.createdAt} is not a real time.`,
      {
        hint: 'Use an RFC 3339 UTC time such as Date#toISOString writes.',
      },
    );
  }
  if (envelope.type !== options.type) {
    throw new IsotypError(
      'ISOTYP_ENVELOPE_TYPE_MISMATCH',
      `Expected a ${options.type} envelope, got ${envelope.type}.`,
      {
        details: { expected: options.type, actual: envelope.type },
      },
    );
  }
  const publicKey = resolveKey(options.keys, envelope.signer);
  // A resolver that hands back a different key than the id names must not widen trust.
  if (publicKey === undefined || keyId(publicKey) !== envelope.signer) {
    throw new IsotypError(
      'ISOTYP_KEY_UNKNOWN',
      `The signer ${envelope.signer} is not a trusted key for ${options.type}.`,
      {
        hint: 'Register the key in the keyring, or ask a holder of a trusted key to sign.',
        details: { signer: envelope.signer },
      },
    );
  }
  let sig: Uint8Array;
  try {
    sig = fromBase64Url(envelope.sig, SIGNATURE_BYTES);
  } catch {
    throw invalidSignature(envelope.signer);
  }
  if (!verify(signingInput(envelope), sig, publicKey)) throw invalidSignature(envelope.signer);
  const payload = options.payload.safeParse(envelope.payload);
  if (!payload.success) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `The ${options.type} payload does not match its schema.`, {
      details: { issues: payload.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return {
    id: envelopeId(envelope),
    payload: payload.data,
    signer: envelope.signer,
    createdAt: envelope.createdAt,
    nonce: envelope.nonce,
    envelope,
  };
}

/**
 * The shape check lets `2026-13-01T…` or `2026-02-30T…` through; such a time parses to NaN or
 * rolls over, and a NaN would slip past every expiry comparison downstream.
 */
function isRealTime(text: string): boolean {
  const ms = Date.parse(text);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
}

function resolveKey(keys: OpenOptions<z.ZodType>['keys'], id: KeyId): Uint8Array | undefined {
  return typeof keys === 'function' ? keys(id) : keys.get(id);
}

function invalidSignature(signer: string): IsotypError {
  return new IsotypError('ISOTYP_SIGNATURE_INVALID', 'The envelope signature does not verify.', {
    hint: 'The envelope was altered after signing, or signed by another key.',
    details: { signer },
  });
}

/** Helper for payload schemas that accept any JSON. */
export const anyPayload = z.json();
