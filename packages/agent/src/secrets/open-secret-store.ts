import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import { encryptedFileStore } from './encrypted-file.js';
import { KEYCHAIN_SERVICE, keychainStore, keychainUnavailable } from './keychain.js';
import type { SecretStore } from './secret-store.js';

/** The systemd credential (LoadCredential=isotyp-vault-key:…) the service unit passes. */
export const VAULT_CREDENTIAL = 'isotyp-vault-key';

export interface OpenSecretStoreOptions {
  /** $ISOTYP_HOME: where the encrypted vault lives (secrets.vault). */
  home: string;
  env?: NodeJS.ProcessEnv;
}

export interface OpenedSecretStore {
  store: SecretStore;
  /** Said once to the user when the choice was made for them (the keychain was not there). */
  notice?: string;
}

/**
 * The secret store for this machine. `ISOTYP_SECRETS_BACKEND=keychain|file` decides; otherwise
 * the OS keychain when it answers, else the encrypted file when a vault key is at hand
 * (ISOTYP_VAULT_KEY, or the systemd credential `isotyp-vault-key`) — with a notice saying so —
 * else a clear error: a secret is never written in the clear.
 *
 * @example
 * const { store, notice } = await openSecretStore({ home: isotypHome() });
 * if (notice) console.error(notice);
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<OpenedSecretStore> {
  const env = options.env ?? process.env;
  const service = env.ISOTYP_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE;
  const vault = join(options.home, 'secrets.vault');
  const choice = env.ISOTYP_SECRETS_BACKEND;
  if (choice !== undefined && choice !== '' && choice !== 'keychain' && choice !== 'file') {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `ISOTYP_SECRETS_BACKEND is "${choice}".`, {
      hint: 'Use keychain (the OS keychain) or file (the encrypted vault, with ISOTYP_VAULT_KEY).',
    });
  }
  if (choice === 'keychain') return { store: keychainStore(service) };
  const key = vaultKey(env);
  if (choice === 'file') {
    if (key === undefined) throw noVaultKey('ISOTYP_SECRETS_BACKEND=file');
    return { store: encryptedFileStore(vault, { key }) };
  }
  const reason = await keychainUnavailable(service);
  if (reason === undefined) return { store: keychainStore(service) };
  if (key === undefined) throw noVaultKey(`No OS keychain here (${reason})`);
  return {
    store: encryptedFileStore(vault, { key }),
    notice: `No OS keychain here (${reason}); secrets are kept in the encrypted file ${vault}.`,
  };
}

/** ISOTYP_VAULT_KEY, else the systemd credential, else undefined. */
function vaultKey(env: NodeJS.ProcessEnv): string | undefined {
  if (env.ISOTYP_VAULT_KEY !== undefined && env.ISOTYP_VAULT_KEY !== '') return env.ISOTYP_VAULT_KEY;
  const credentials = env.CREDENTIALS_DIRECTORY;
  if (credentials !== undefined && credentials !== '') {
    const file = join(credentials, VAULT_CREDENTIAL);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  }
  return undefined;
}

function noVaultKey(why: string): IsotypError {
  return new IsotypError('ISOTYP_CONFIG_INVALID', `${why}, and no vault key to encrypt a file with.`, {
    hint: `Set ISOTYP_VAULT_KEY (e.g. head -c 32 /dev/urandom | base64), or give the service the systemd credential ${VAULT_CREDENTIAL}; or start a Secret Service (gnome-keyring) for the OS keychain.`,
  });
}
