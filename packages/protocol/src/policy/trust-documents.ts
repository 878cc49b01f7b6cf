import type { z } from 'zod';
import { type Envelope, type Opened, openEnvelope, sealEnvelope, verifyEnvelope } from '../envelope.js';
import { IsotypError } from '../errors/isotyp-error.js';
import {
  KEYRING_ENVELOPE_TYPE,
  type Keyring,
  keyringSchema,
  type OrgRoot,
  orgRootSchema,
  POLICY_ENVELOPE_TYPE,
  type Policy,
  policySchema,
} from '../messages/trust.js';
import { decodePublicKey, keyId } from '../signature.js';
import { compileCondition } from './cel.js';

/**
 * Opens an `isotyp.keyring` envelope (canonical wire text or bytes, or a parsed envelope): it must be signed by the org root key, match the keyring
 * schema, belong to the root's org, and every entry's key id must name its own public key.
 *
 * @example
 * const keyring = openKeyring(await store.keyring(), orgRoot);
 */
export function openKeyring(envelope: unknown, root: OrgRoot): Keyring {
  const keyring = openRootSigned(envelope, root, KEYRING_ENVELOPE_TYPE, keyringSchema).payload;
  assertSameOrg('keyring', keyring.org, root.org);
  return validateKeyring(keyring);
}

/**
 * Opens an `isotyp.policy` envelope: signed by the org root key, schema-valid, of the root's
 * org, and every layer condition compiles (see `validatePolicy`).
 *
 * @example
 * const policy = openPolicy(await store.policy(), orgRoot);
 */
export function openPolicy(envelope: unknown, root: OrgRoot): Policy {
  const policy = openRootSigned(envelope, root, POLICY_ENVELOPE_TYPE, policySchema).payload;
  assertSameOrg('policy', policy.org, root.org);
  return validatePolicy(policy);
}

/**
 * Signs a keyring with the org root secret key after validating it.
 *
 * @example
 * const envelope = sealKeyring({ org: 'acme', version: 1, keys }, root.secretKey);
 */
export function sealKeyring(keyring: Keyring, rootSecretKey: Uint8Array): Envelope<Keyring> {
  const payload = validateKeyring(parseOrThrow(keyringSchema, keyring, 'keyring', 'ISOTYP_INVALID_INPUT'));
  return sealEnvelope({ type: KEYRING_ENVELOPE_TYPE, payload, secretKey: rootSecretKey });
}

/**
 * Signs a policy with the org root secret key after validating it (every condition compiles).
 *
 * @example
 * const envelope = sealPolicy({ org: 'acme', version: 3, layers }, root.secretKey);
 */
export function sealPolicy(policy: Policy, rootSecretKey: Uint8Array): Envelope<Policy> {
  const payload = validatePolicy(policy);
  return sealEnvelope({ type: POLICY_ENVELOPE_TYPE, payload, secretKey: rootSecretKey });
}

/**
 * Checks a policy beyond its schema: layer names are unique (approvals name a layer, so two
 * layers of one name would let one approval count twice) and every `when` compiles.
 * Throws ISOTYP_POLICY_INVALID; returns the parsed policy.
 *
 * @example
 * validatePolicy({ org: 'acme', version: 1, layers: [{ name: 'dba', when: 'change.dataLoss', required: 1, role: 'dba' }] });
 */
export function validatePolicy(policy: Policy): Policy {
  const parsed = parseOrThrow(policySchema, policy, 'policy', 'ISOTYP_POLICY_INVALID');
  const seen = new Set<string>();
  for (const layer of parsed.layers) {
    if (seen.has(layer.name)) {
      throw new IsotypError('ISOTYP_POLICY_INVALID', `The policy has two layers named "${layer.name}".`, {
        hint: 'Give every layer a distinct name.',
        details: { layer: layer.name },
      });
    }
    seen.add(layer.name);
    if (layer.when !== undefined) compileCondition(layer.when, layer.name);
  }
  return parsed;
}

function validateKeyring(keyring: Keyring): Keyring {
  const seen = new Set<string>();
  for (const entry of keyring.keys) {
    // The envelope check refuses a mismatched key anyway; refusing here reports the real fault.
    if (keyId(decodePublicKey(entry.publicKey)) !== entry.keyId) {
      throw new IsotypError('ISOTYP_KEY_INVALID', `Keyring entry ${entry.keyId} does not match its public key.`, {
        details: { keyId: entry.keyId },
      });
    }
    if (seen.has(entry.keyId)) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `The keyring lists key ${entry.keyId} twice.`, {
        details: { keyId: entry.keyId },
      });
    }
    seen.add(entry.keyId);
  }
  return keyring;
}

function openRootSigned<S extends z.ZodType>(
  input: unknown,
  root: OrgRoot,
  type: string,
  payload: S,
): Opened<z.output<S>> {
  const pinned = parseOrThrow(orgRootSchema, root, 'org root', 'ISOTYP_TRUST_NOT_INITIALISED');
  const publicKey = decodePublicKey(pinned.publicKey);
  if (keyId(publicKey) !== pinned.keyId) {
    throw new IsotypError('ISOTYP_KEY_INVALID', 'The pinned org root key id does not match its public key.', {
      hint: 'Re-pin the org root key from a trusted source.',
    });
  }
  const options = { type, keys: new Map([[pinned.keyId, publicKey]]), payload };
  return typeof input === 'string' || input instanceof Uint8Array
    ? openEnvelope(input, options)
    : verifyEnvelope(input, options);
}

function assertSameOrg(what: string, actual: string, expected: string): void {
  if (actual === expected) return;
  throw new IsotypError('ISOTYP_INVALID_INPUT', `The ${what} belongs to org "${actual}", not "${expected}".`, {
    hint: `Fetch the ${what} of your own organisation.`,
    details: { expected, actual },
  });
}

function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  code: 'ISOTYP_INVALID_INPUT' | 'ISOTYP_POLICY_INVALID' | 'ISOTYP_TRUST_NOT_INITIALISED',
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new IsotypError(code, `The ${what} does not match its schema.`, {
    details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}
