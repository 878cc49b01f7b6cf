import {
  encodePublicKey,
  generateKeyPair,
  KEY_REGISTRATION_ENVELOPE_TYPE,
  keyId,
  keyRegistrationSchema,
  sealEnvelope,
  sealKeyring,
} from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { openSelfSigned, openStoredKeyring } from './trust-documents.js';

const root = generateKeyPair();
const orgRoot = { org: 'acme', keyId: keyId(root.publicKey), publicKey: encodePublicKey(root.publicKey) };
const approver = generateKeyPair();
const keyring = {
  org: 'acme',
  version: 1,
  keys: [
    {
      keyId: keyId(approver.publicKey),
      publicKey: encodePublicKey(approver.publicKey),
      userId: 'usr_1',
      roles: ['approver' as const],
    },
  ],
};

describe('stored trust documents', () => {
  it('opens a keyring once per text, and still refuses an edited copy after the original was remembered', () => {
    const stored = JSON.parse(JSON.stringify(sealKeyring(keyring, root.secretKey)));
    expect(openStoredKeyring(stored, orgRoot)).toEqual(keyring);
    expect(openStoredKeyring(stored, orgRoot)).toEqual(keyring);
    const edited = { ...stored, payload: { ...stored.payload, keys: [{ ...keyring.keys[0], userId: 'usr_2' }] } };
    expect(() => openStoredKeyring(edited, orgRoot)).toThrow(
      expect.objectContaining({ code: 'ISOTYP_SIGNATURE_INVALID' }),
    );
    const otherRoot = generateKeyPair();
    const pinnedElsewhere = {
      org: 'acme',
      keyId: keyId(otherRoot.publicKey),
      publicKey: encodePublicKey(otherRoot.publicKey),
    };
    expect(() => openStoredKeyring(stored, pinnedElsewhere)).toThrow(
      expect.objectContaining({ code: 'ISOTYP_KEY_UNKNOWN' }),
    );
  });

  it('opens a self-signed registration only when signed by the key it names', () => {
    const payload = {
      org: 'acme',
      userId: 'usr_1',
      keyId: keyId(approver.publicKey),
      publicKey: encodePublicKey(approver.publicKey),
    };
    const good = sealEnvelope({ type: KEY_REGISTRATION_ENVELOPE_TYPE, payload, secretKey: approver.secretKey });
    expect(openSelfSigned(good, KEY_REGISTRATION_ENVELOPE_TYPE, keyRegistrationSchema, 'a key')).toEqual(payload);
    const byAnother = sealEnvelope({ type: KEY_REGISTRATION_ENVELOPE_TYPE, payload, secretKey: root.secretKey });
    expect(() => openSelfSigned(byAnother, KEY_REGISTRATION_ENVELOPE_TYPE, keyRegistrationSchema, 'a key')).toThrow(
      expect.objectContaining({ code: 'ISOTYP_KEY_UNKNOWN' }),
    );
    expect(() =>
      openSelfSigned({ payload: {} }, KEY_REGISTRATION_ENVELOPE_TYPE, keyRegistrationSchema, 'a key'),
    ).toThrow(expect.objectContaining({ code: 'ISOTYP_INVALID_INPUT' }));
  });
});
