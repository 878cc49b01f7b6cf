import { describe, expect, it } from 'vitest';
import { encodeEnvelope, sealEnvelope } from '../envelope.js';
import { encodePublicKey, generateKeyPair } from '../signature.js';
import { codeOf } from '../test-support/code-of.js';
import { keyring, orgRoot, orgRootOf, policy, root } from './test-support/fixtures.js';
import { openKeyring, openPolicy, sealKeyring, sealPolicy, validatePolicy } from './trust-documents.js';

const otherRoot = generateKeyPair();

describe('keyring and policy documents', () => {
  it('round-trip through the org root signature, as wire text or a parsed envelope', () => {
    const sealedKeyring = sealKeyring(keyring, root.secretKey);
    const sealedPolicy = sealPolicy(policy, root.secretKey);
    expect(sealedKeyring.type).toBe('isotyp.keyring');
    expect(sealedPolicy.type).toBe('isotyp.policy');
    expect(openKeyring(encodeEnvelope(sealedKeyring), orgRoot)).toEqual(keyring);
    expect(openKeyring(sealedKeyring, orgRoot)).toEqual(keyring);
    expect(openPolicy(new TextEncoder().encode(encodeEnvelope(sealedPolicy)), orgRoot)).toEqual(policy);
  });

  it('refuses documents signed by another root', () => {
    expect(codeOf(() => openKeyring(sealKeyring(keyring, otherRoot.secretKey), orgRoot))).toBe('ISOTYP_KEY_UNKNOWN');
    expect(codeOf(() => openPolicy(sealPolicy(policy, otherRoot.secretKey), orgRoot))).toBe('ISOTYP_KEY_UNKNOWN');
  });

  it('refuses a document altered after signing', () => {
    const sealed = sealPolicy(policy, root.secretKey);
    const laxer = { ...sealed, payload: { ...sealed.payload, layers: [{ name: 'any', required: 1, role: 'viewer' }] } };
    expect(codeOf(() => openPolicy(laxer, orgRoot))).toBe('ISOTYP_SIGNATURE_INVALID');
    const sealedKeyring = sealKeyring(keyring, root.secretKey);
    const promoted = {
      ...sealedKeyring,
      payload: { ...keyring, keys: keyring.keys.map((k) => ({ ...k, roles: ['admin', 'dba', 'approver'] })) },
    };
    expect(codeOf(() => openKeyring(promoted, orgRoot))).toBe('ISOTYP_SIGNATURE_INVALID');
  });

  it('refuses unsigned documents and documents of another type', () => {
    expect(codeOf(() => openKeyring(keyring, orgRoot))).toBe('ISOTYP_INVALID_INPUT');
    const { sig: _, ...unsigned } = sealKeyring(keyring, root.secretKey);
    expect(codeOf(() => openKeyring(unsigned, orgRoot))).toBe('ISOTYP_INVALID_INPUT');
    expect(codeOf(() => openKeyring(sealPolicy(policy, root.secretKey), orgRoot))).toBe(
      'ISOTYP_ENVELOPE_TYPE_MISMATCH',
    );
    expect(codeOf(() => openPolicy(sealKeyring(keyring, root.secretKey), orgRoot))).toBe(
      'ISOTYP_ENVELOPE_TYPE_MISMATCH',
    );
  });

  it('refuses a document of another organisation, even signed by the pinned key', () => {
    const globex = orgRootOf(root, 'globex');
    expect(codeOf(() => openKeyring(sealKeyring(keyring, root.secretKey), globex))).toBe('ISOTYP_INVALID_INPUT');
    expect(codeOf(() => openPolicy(sealPolicy(policy, root.secretKey), globex))).toBe('ISOTYP_INVALID_INPUT');
  });

  it('refuses a pinned root whose key id does not name its key', () => {
    const confused = { ...orgRoot, publicKey: encodePublicKey(otherRoot.publicKey) };
    expect(codeOf(() => openPolicy(sealPolicy(policy, root.secretKey), confused))).toBe('ISOTYP_KEY_INVALID');
    expect(codeOf(() => openPolicy(sealPolicy(policy, root.secretKey), { org: 'acme' } as never))).toBe(
      'ISOTYP_TRUST_NOT_INITIALISED',
    );
  });

  it('refuses a keyring entry whose key id names another key, or a key listed twice', () => {
    const [first, second] = keyring.keys;
    if (first === undefined || second === undefined) throw new Error('fixture keyring too small');
    const swapped = { ...keyring, keys: [{ ...first, publicKey: second.publicKey }] };
    expect(codeOf(() => sealKeyring(swapped, root.secretKey))).toBe('ISOTYP_KEY_INVALID');
    const forgedButSigned = sealEnvelope({ type: 'isotyp.keyring', payload: swapped, secretKey: root.secretKey });
    expect(codeOf(() => openKeyring(forgedButSigned, orgRoot))).toBe('ISOTYP_KEY_INVALID');
    const twice = { ...keyring, keys: [first, { ...first, userId: 'someone-else' }] };
    expect(codeOf(() => sealKeyring(twice, root.secretKey))).toBe('ISOTYP_INVALID_INPUT');
  });
});

describe('validatePolicy', () => {
  it('refuses two layers of one name', () => {
    const twice = { ...policy, layers: [...policy.layers, { name: 'dba', required: 1, role: 'admin' as const }] };
    expect(codeOf(() => validatePolicy(twice))).toBe('ISOTYP_POLICY_INVALID');
  });

  it('refuses a condition that does not compile, naming the layer', () => {
    const broken = {
      ...policy,
      layers: [{ name: 'prod', when: 'environment.nmae == "prod"', required: 1, role: 'approver' as const }],
    };
    let thrown: unknown;
    try {
      validatePolicy(broken);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ISOTYP_POLICY_INVALID', details: { layer: 'prod' } });
    expect(codeOf(() => sealPolicy(broken, root.secretKey))).toBe('ISOTYP_POLICY_INVALID');
    // A root-signed policy is still refused when opened: the agent compiles for itself.
    const signed = sealEnvelope({ type: 'isotyp.policy', payload: broken, secretKey: root.secretKey });
    expect(codeOf(() => openPolicy(signed, orgRoot))).toBe('ISOTYP_POLICY_INVALID');
  });

  it('refuses a policy that does not match its schema', () => {
    expect(codeOf(() => validatePolicy({ ...policy, layers: [] }))).toBe('ISOTYP_POLICY_INVALID');
    expect(codeOf(() => validatePolicy({ ...policy, extra: true } as never))).toBe('ISOTYP_POLICY_INVALID');
  });
});
