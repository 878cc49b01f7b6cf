import { IsotypError } from '@isotyp/protocol';
import { CertificateAuthority } from './agents/certificate-authority.js';
import { appendServerAudit } from './audit/audit-log.js';
import { type SigningKeyRotation, SigningKeys } from './identity/signing-keys.js';
import { openStore } from './storage/open-store.js';
import { SecretSeal, sealStoredSecrets, storedSecrets } from './storage/sealed-secrets.js';

export interface PassphraseRotation {
  /** CA keys encrypted anew (retired CAs included). */
  authorities: number;
  /** Sealed values sealed anew: signing keys, webhook secrets, the audit log key, stored answers. */
  secrets: number;
}

/**
 * Moves everything the server passphrase protects from the passphrase `from` to `to`, in one
 * transaction: every agent CA's key (retired ones too) and every sealed value — the JWT signing
 * keys, the webhooks' secrets, the audit log key and the stored answers of retried writes.
 * Values an earlier version kept in the clear come out sealed. Every organisation's audit log
 * records it (`server.passphrase.rotate`), in the same transaction.
 *
 * Runs with no control plane on the database (see `openStore`'s `alone`): a running one holds
 * what it opened under the old passphrase, and would seal new values under it. A value that
 * `from` cannot open stops it with ISOTYP_CONFIG_INVALID, a value changed meanwhile with
 * ISOTYP_CONFLICT; either way nothing is changed.
 *
 * @example
 * const moved = await rotatePassphrase('sqlite:./isotyp-cp.db', oldPassphrase, newPassphrase);
 */
export async function rotatePassphrase(database: string, from: string, to: string): Promise<PassphraseRotation> {
  if (to.length < 16) {
    throw new IsotypError('ISOTYP_USAGE', 'The new passphrase is too short (at least 16 characters).', {
      hint: 'Make one with: head -c 32 /dev/urandom | base64',
    });
  }
  if (to === from) {
    throw new IsotypError('ISOTYP_USAGE', 'The new passphrase is the current one.', {
      hint: 'Give a new passphrase; the current one comes from ISOTYP_CA_PASSPHRASE.',
    });
  }
  const store = await openStore(database, { alone: true });
  try {
    await store.migrate();
    const [old, next] = [SecretSeal.of(from), SecretSeal.of(to)];
    return await store.atomically(async () => {
      const authorities = await store.authorities.list();
      for (const ca of authorities) {
        const pem = CertificateAuthority.reencryptKey(ca.encryptedKeyPem, from, to);
        if (!(await store.authorities.rekey(ca.id, ca.encryptedKeyPem, pem))) throw changedMeanwhile();
      }
      let secrets = 0;
      for await (const secret of storedSecrets(store, { answers: true })) {
        const sealed = next.seal(old.open(secret.stored, secret.context), secret.context);
        if (!(await secret.reseal(sealed))) throw changedMeanwhile();
        secrets++;
      }
      const rotation = { authorities: authorities.length, secrets };
      await appendServerAudit(store, 'server.passphrase.rotate', { kind: 'server', id: 'passphrase' }, rotation);
      return rotation;
    });
  } finally {
    await store.close();
  }
}

/**
 * Checks that `passphrase` opens every agent CA key and sealed value of the database, with no
 * control plane on it (as `rotatePassphrase`); ISOTYP_CONFIG_INVALID when one does not open.
 * Changes nothing.
 *
 * @example
 * await checkPassphrase('sqlite:./isotyp-cp.db', passphrase);
 */
export async function checkPassphrase(database: string, passphrase: string): Promise<void> {
  const store = await openStore(database, { alone: true });
  try {
    await store.migrate();
    for (const ca of await store.authorities.list()) CertificateAuthority.checkKey(ca.encryptedKeyPem, passphrase);
    const seal = SecretSeal.of(passphrase);
    for await (const secret of storedSecrets(store, { answers: true })) seal.open(secret.stored, secret.context);
  } finally {
    await store.close();
  }
}

/**
 * Makes a new key the one access tokens are signed with, and retires the others — the rotation
 * every control plane also does by itself each 30 days. With `revokePrevious` (keys that may
 * have leaked with a copy of the database) tokens signed by any earlier key are refused at once:
 * clients get a new access token with their refresh token, as when one expires. Safe beside
 * running control planes, which follow the key table (see `Store.stamp`) and sign with the new
 * key at their next token. Every organisation's audit log records it (`server.signing-key.rotate`),
 * in the same transaction as the new key.
 *
 * @example
 * const { kid, revoked } = await rotateSigningKeys('sqlite:./isotyp-cp.db', passphrase, { revokePrevious: true });
 */
export async function rotateSigningKeys(
  database: string,
  passphrase: string,
  { revokePrevious = false }: { revokePrevious?: boolean } = {},
): Promise<SigningKeyRotation> {
  const store = await openStore(database);
  try {
    await store.migrate();
    // A passphrase that does not open what is stored would seal the new key apart from the rest:
    // refused here as at a server's start (which also seals what is still in the clear).
    const seal = SecretSeal.of(passphrase);
    await sealStoredSecrets(store, seal);
    return await new SigningKeys({ store, now: () => new Date(), seal }).rotate({ revokePrevious });
  } finally {
    await store.close();
  }
}

function changedMeanwhile(): IsotypError {
  return new IsotypError('ISOTYP_CONFLICT', 'A protected value changed while the passphrase was being rotated.', {
    hint: 'A control plane is still writing to this database: stop every replica and worker, then run it again.',
  });
}
