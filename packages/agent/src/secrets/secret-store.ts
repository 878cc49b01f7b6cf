import { IsotypError } from '@isotyp/protocol';

/**
 * Where an agent keeps credentials (database passwords, its enrolment secrets): the OS keychain
 * when there is one, an encrypted file otherwise. Values never appear in config files, logs or
 * anything sent to the control plane; target URLs name them (`?password=keychain:prod-db`).
 */
export interface SecretStore {
  /** `keychain` (the OS Secret Service, via keytar) or `file` (an encrypted vault in $ISOTYP_HOME). */
  readonly backend: 'keychain' | 'file';
  /** Where the secrets are, for messages: never a secret itself. */
  readonly location: string;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** True when there was such a secret. */
  delete(name: string): Promise<boolean>;
}

/** Secret names: safe in URLs, file names and keychain account fields. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The longest secret value kept (a password, a key, a token — never a file). */
export const MAX_SECRET_BYTES = 16 * 1024;

export function assertSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new IsotypError('ISOTYP_INVALID_INPUT', `"${name.slice(0, 80)}" is not a secret name.`, {
      hint: 'Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. prod-db).',
    });
  }
}

export function assertSecretValue(value: string): void {
  if (value === '') throw new IsotypError('ISOTYP_INVALID_INPUT', 'A secret cannot be empty.');
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
    throw new IsotypError('ISOTYP_PAYLOAD_TOO_LARGE', `A secret is at most ${MAX_SECRET_BYTES} bytes.`);
  }
}
