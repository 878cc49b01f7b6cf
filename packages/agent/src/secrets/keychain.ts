import { createRequire } from 'node:module';
import { IsotypError } from '@isotyp/protocol';
import { assertSecretName, assertSecretValue, type SecretStore } from './secret-store.js';

/** The keychain service every Isotyp secret is filed under. */
export const KEYCHAIN_SERVICE = 'isotyp';

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string }[]>;
}

/** keytar is native: loaded on first use only, so commands without secrets never pay for it. */
function loadKeytar(): Keytar {
  return createRequire(import.meta.url)('keytar') as Keytar;
}

/**
 * Whether the OS keychain answers: the reason when it does not (no Secret Service on D-Bus, as on
 * a headless host), undefined when it does.
 */
export async function keychainUnavailable(service = KEYCHAIN_SERVICE): Promise<string | undefined> {
  try {
    await loadKeytar().findCredentials(service);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The OS keychain (the freedesktop Secret Service on Linux, Keychain on macOS), via keytar. */
export function keychainStore(service = KEYCHAIN_SERVICE): SecretStore {
  const call = async <T>(work: (keytar: Keytar) => Promise<T>): Promise<T> => {
    try {
      return await work(loadKeytar());
    } catch (error) {
      throw new IsotypError('ISOTYP_UNAVAILABLE', 'The OS keychain did not answer.', {
        hint: 'Unlock the keychain (or start a Secret Service), or use the encrypted file: ISOTYP_SECRETS_BACKEND=file with ISOTYP_VAULT_KEY.',
        cause: error,
      });
    }
  };
  return {
    backend: 'keychain',
    location: `the OS keychain (service "${service}")`,
    async get(name) {
      assertSecretName(name);
      return (await call((k) => k.getPassword(service, name))) ?? undefined;
    },
    async set(name, value) {
      assertSecretName(name);
      assertSecretValue(value);
      await call((k) => k.setPassword(service, name, value));
    },
    async delete(name) {
      assertSecretName(name);
      return call((k) => k.deletePassword(service, name));
    },
  };
}
