import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Ed25519KeyPair,
  encodePublicKey,
  fromBase64Url,
  generateKeyPair,
  IsotypError,
  keyId,
  keyPairFromSeed,
  SEED_BYTES,
  toBase64Url,
} from '@isotyp/protocol';
import { z } from 'zod';
import { ensurePrivateDir, writePrivateFile } from './files.js';

/**
 * Where private keys live on this machine. The file store below is the first backend; an OS
 * keychain backend implements the same three calls and is swapped in without touching callers.
 */
export interface SecretStore {
  /** The secret stored under `name`, or undefined. */
  get(name: KeyName): Promise<string | undefined>;
  /** Stores a secret; refuses to replace an existing one unless `force`. */
  set(name: KeyName, value: string, options?: { force?: boolean }): Promise<void>;
  /** Removes a secret; true when there was one. */
  delete(name: KeyName): Promise<boolean>;
}

/** The keys the CLI holds: a person's approver key and, for admins, the org root key. */
export const keyNames = ['approver', 'org-root'] as const;
export type KeyName = (typeof keyNames)[number];

/**
 * `$ISOTYP_HOME/keys/<name>.key`: directory 0700, files 0600, written atomically. A file that
 * others can read is refused, as ssh refuses such a private key.
 *
 * @example
 * const store = new FileSecretStore(join(isotypHome(), 'keys'));
 * await store.set('approver', text);
 */
export class FileSecretStore implements SecretStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(name: KeyName): string {
    return join(this.dir, `${name}.key`);
  }

  async get(name: KeyName): Promise<string | undefined> {
    const path = this.pathOf(name);
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      return undefined;
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new IsotypError('ISOTYP_KEY_INVALID', `The key file ${path} can be read by other users.`, {
        hint: `Restrict it with chmod 600 ${path}; if others may have copied it, replace the key.`,
      });
    }
    return readFileSync(path, 'utf8');
  }

  async set(name: KeyName, value: string, options: { force?: boolean } = {}): Promise<void> {
    ensurePrivateDir(this.dir);
    const path = this.pathOf(name);
    try {
      writePrivateFile(path, value, { overwrite: options.force === true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new IsotypError('ISOTYP_CONFLICT', `A ${name} key already exists at ${path}.`, {
        hint: 'Pass --force to replace it; the old private key is then lost for good.',
        details: { name },
      });
    }
  }

  async delete(name: KeyName): Promise<boolean> {
    const path = this.pathOf(name);
    try {
      statSync(path);
    } catch {
      return false;
    }
    rmSync(path, { force: true });
    return true;
  }
}

/** The stored form of a key: everything base64url, the seed being the only secret. */
const storedKeySchema = z.strictObject({
  keyId: z.string(),
  publicKey: z.string(),
  seed: z.string(),
});

/** A key pair with its id and public key in wire form. */
export interface LocalKey {
  keyId: string;
  publicKey: string;
  pair: Ed25519KeyPair;
}

/**
 * Creates a fresh Ed25519 key and stores it under `name`; refuses to replace one unless `force`.
 *
 * @example
 * const key = await createKey(store, 'approver', { force: false });
 */
export async function createKey(store: SecretStore, name: KeyName, options: { force: boolean }): Promise<LocalKey> {
  const pair = generateKeyPair();
  const key = describe(pair);
  const stored = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    seed: toBase64Url(pair.secretKey.subarray(0, SEED_BYTES)),
  };
  await store.set(name, `${JSON.stringify(stored, null, 2)}\n`, { force: options.force });
  return key;
}

/** The key stored under `name`, or undefined. The stored id must match the seed. */
export async function loadKey(store: SecretStore, name: KeyName): Promise<LocalKey | undefined> {
  const text = await store.get(name);
  if (text === undefined) return undefined;
  let parsed: z.infer<typeof storedKeySchema>;
  let pair: Ed25519KeyPair;
  try {
    parsed = storedKeySchema.parse(JSON.parse(text));
    pair = keyPairFromSeed(fromBase64Url(parsed.seed, SEED_BYTES));
  } catch {
    // Never echo the content: it holds the seed.
    throw new IsotypError('ISOTYP_KEY_INVALID', `The stored ${name} key is damaged.`, {
      hint: 'Restore it from your backup, or create a new one with --force.',
    });
  }
  const key = describe(pair);
  if (key.keyId !== parsed.keyId || key.publicKey !== parsed.publicKey) {
    throw new IsotypError('ISOTYP_KEY_INVALID', `The stored ${name} key does not match its own key id.`, {
      hint: 'Restore it from your backup, or create a new one with --force.',
    });
  }
  return key;
}

/** Like `loadKey`, but a missing key is an error that says how to create it. */
export async function requireKey(store: SecretStore, name: KeyName): Promise<LocalKey> {
  const key = await loadKey(store, name);
  if (key !== undefined) return key;
  throw new IsotypError('ISOTYP_KEY_UNKNOWN', `There is no ${name} key on this machine.`, {
    hint:
      name === 'approver'
        ? 'Create and register one with isotyp keys generate.'
        : 'An admin creates it with isotyp org init.',
  });
}

function describe(pair: Ed25519KeyPair): LocalKey {
  return { keyId: keyId(pair.publicKey), publicKey: encodePublicKey(pair.publicKey), pair };
}
