import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromBase64Url, IsotypError, toBase64Url } from '@isotyp/protocol';
import nacl from 'tweetnacl';
import { z } from 'zod';
import { withFileLock } from './file-lock.js';
import { assertSecretName, assertSecretValue, type SecretStore } from './secret-store.js';

/*
 * The vault file: one JSON object, `{v, salt, nonce, box}`. `box` is tweetnacl's secretbox
 * (XSalsa20-Poly1305) over the JSON map of every secret, so names are hidden too, and any change
 * to the file — a flipped bit, a swapped nonce — fails authentication instead of reading as
 * something else. The box key is scrypt(vault key, salt): the vault key may be 32 random bytes or
 * a passphrase. Each write is a new nonce, to a temporary file renamed over the old one (0600),
 * under a lock file so that two processes do not lose each other's secret.
 */

const vaultSchema = z.strictObject({
  v: z.literal(1),
  salt: z.string().length(22),
  nonce: z.string().length(32),
  box: z.string().max(4 * 1024 * 1024),
});
const entriesSchema = z.record(z.string(), z.string());

/** scrypt cost: ~50 ms on this class of machine, once per command. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** Writers queue on a lock file; one left by a crashed process is cleared after 30 s. */
const VAULT_LOCK = {
  waitMs: 5000,
  staleMs: 30_000,
  timeout: () =>
    new IsotypError('ISOTYP_LOCK_TIMEOUT', 'Another process holds the vault lock.', {
      hint: 'Wait for it to finish; a lock left by a crashed process is cleared after 30 s.',
    }),
};

export interface EncryptedFileOptions {
  /** The vault key: from ISOTYP_VAULT_KEY or a systemd credential; at least 16 characters. */
  key: string;
}

/**
 * @example
 * const store = encryptedFileStore(join(home, 'secrets.vault'), { key: process.env.ISOTYP_VAULT_KEY });
 * await store.set('prod-db', password);
 */
export function encryptedFileStore(path: string, options: EncryptedFileOptions): SecretStore {
  if (options.key.length < 16) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', 'The vault key is too short (at least 16 characters).', {
      hint: 'Generate one: head -c 32 /dev/urandom | base64 — and keep it in ISOTYP_VAULT_KEY or a systemd credential.',
    });
  }
  const keys = new Map<string, Uint8Array>();
  const boxKey = (salt: string) => {
    let key = keys.get(salt);
    if (key === undefined) {
      key = new Uint8Array(scryptSync(options.key, fromBase64Url(salt), nacl.secretbox.keyLength, SCRYPT));
      keys.set(salt, key);
    }
    return key;
  };

  const read = (): { salt: string; entries: Record<string, string> } => {
    if (!existsSync(path)) return { salt: toBase64Url(randomBytes(16)), entries: {} };
    let vault: z.infer<typeof vaultSchema>;
    try {
      vault = vaultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch (error) {
      throw unreadable(path, error);
    }
    const opened = nacl.secretbox.open(fromBase64Url(vault.box), fromBase64Url(vault.nonce), boxKey(vault.salt));
    if (opened === null) {
      throw new IsotypError('ISOTYP_CREDENTIALS_INVALID', `The vault key does not open ${path}.`, {
        hint: 'Use the key the vault was written with (ISOTYP_VAULT_KEY or the systemd credential). A vault that was edited cannot be opened either.',
      });
    }
    const entries = entriesSchema.safeParse(JSON.parse(Buffer.from(opened).toString('utf8')));
    if (!entries.success) throw unreadable(path, entries.error);
    return { salt: vault.salt, entries: entries.data };
  };

  const write = (salt: string, entries: Record<string, string>) => {
    const nonce = randomBytes(nacl.secretbox.nonceLength);
    const box = nacl.secretbox(Buffer.from(JSON.stringify(entries), 'utf8'), nonce, boxKey(salt));
    const text = JSON.stringify({ v: 1, salt, nonce: toBase64Url(nonce), box: toBase64Url(box) });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
  };

  const change = async <T>(edit: (entries: Record<string, string>) => T): Promise<T> =>
    withFileLock(
      `${path}.lock`,
      () => {
        const { salt, entries } = read();
        const result = edit(entries);
        write(salt, entries);
        return result;
      },
      VAULT_LOCK,
    );

  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return {
    backend: 'file',
    location: path,
    async get(name) {
      assertSecretName(name);
      const { entries } = read();
      return Object.hasOwn(entries, name) ? entries[name] : undefined;
    },
    async set(name, value) {
      assertSecretName(name);
      assertSecretValue(value);
      await change((entries) => {
        entries[name] = value;
      });
    },
    async delete(name) {
      assertSecretName(name);
      return change((entries) => {
        const had = Object.hasOwn(entries, name);
        delete entries[name];
        return had;
      });
    },
  };
}

function unreadable(path: string, cause: unknown): IsotypError {
  return new IsotypError('ISOTYP_CONFIG_INVALID', `${path} is not an Isotyp vault.`, {
    hint: 'Move it aside; isotyp secrets set starts a new vault.',
    cause,
  });
}
