import { encodePublicKey, fromBase64Url, keyId, keyPairFromSeed, SEED_BYTES, toBase64Url } from '@isotyp/protocol';

/**
 * The approver key as the console keeps it in a browser: the 32-byte Ed25519 seed encrypted with
 * AES-256-GCM under a key derived from the person's passphrase (PBKDF2-SHA-256, 600,000
 * iterations, a random salt), the key id bound in as additional data so a blob cannot be passed
 * off as another key's. Only WebCrypto is used, so the same code runs in browsers and in Node.
 */
export interface StoredKey {
  v: 1;
  keyId: string;
  publicKey: string;
  kdf: { name: 'PBKDF2'; hash: 'SHA-256'; iterations: number; salt: string };
  iv: string;
  ciphertext: string;
  savedAt: string;
}

/** The key file `isotyp keys generate` writes (and the console exports): the seed in clear. */
export interface KeyFile {
  keyId: string;
  publicKey: string;
  seed: string;
}

export const PBKDF2_ITERATIONS = 600_000;
export const MIN_PASSPHRASE_CHARS = 12;

/** What went wrong, in words the page shows as they are. */
export class KeyVaultError extends Error {
  constructor(
    readonly code: 'ISOTYP_KEY_INVALID' | 'ISOTYP_PASSPHRASE_WRONG' | 'ISOTYP_INVALID_INPUT',
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();

async function wrappingKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Encrypts `seed` under `passphrase`. */
export async function sealSeed(
  seed: Uint8Array,
  passphrase: string,
  options: { iterations?: number; now?: Date } = {},
): Promise<StoredKey> {
  if (seed.length !== SEED_BYTES) throw new KeyVaultError('ISOTYP_KEY_INVALID', 'A key seed is 32 bytes.');
  if (passphrase.length < MIN_PASSPHRASE_CHARS) {
    throw new KeyVaultError(
      'ISOTYP_INVALID_INPUT',
      `Choose a passphrase of at least ${MIN_PASSPHRASE_CHARS} characters.`,
    );
  }
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  const pair = keyPairFromSeed(seed);
  const id = keyId(pair.publicKey);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await wrappingKey(passphrase, salt, iterations);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: encoder.encode(id) },
      key,
      seed as BufferSource,
    ),
  );
  return {
    v: 1,
    keyId: id,
    publicKey: encodePublicKey(pair.publicKey),
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64Url(salt) },
    iv: toBase64Url(iv),
    ciphertext: toBase64Url(ciphertext),
    savedAt: (options.now ?? new Date()).toISOString(),
  };
}

/** Decrypts the seed; a wrong passphrase (or a changed blob) is ISOTYP_PASSPHRASE_WRONG. */
export async function openSeed(stored: StoredKey, passphrase: string): Promise<Uint8Array> {
  const checked = checkStoredKey(stored);
  const key = await wrappingKey(passphrase, fromBase64Url(checked.kdf.salt), checked.kdf.iterations);
  let seed: Uint8Array;
  try {
    seed = new Uint8Array(
      await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: fromBase64Url(checked.iv) as BufferSource,
          additionalData: encoder.encode(checked.keyId),
        },
        key,
        fromBase64Url(checked.ciphertext) as BufferSource,
      ),
    );
  } catch {
    throw new KeyVaultError('ISOTYP_PASSPHRASE_WRONG', 'That passphrase does not unlock the key in this browser.');
  }
  if (seed.length !== SEED_BYTES || keyId(keyPairFromSeed(seed).publicKey) !== checked.keyId) {
    throw new KeyVaultError('ISOTYP_KEY_INVALID', 'The key kept in this browser is damaged.');
  }
  return seed;
}

/** A value read back from storage, checked field by field (storage is not trusted to be ours). */
export function checkStoredKey(value: unknown): StoredKey {
  const v = value as Partial<StoredKey> | null;
  const text = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length < 512;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    v.v === 1 &&
    text(v.keyId) &&
    text(v.publicKey) &&
    text(v.iv) &&
    text(v.ciphertext) &&
    v.kdf?.name === 'PBKDF2' &&
    v.kdf.hash === 'SHA-256' &&
    Number.isInteger(v.kdf.iterations) &&
    v.kdf.iterations >= 100_000 &&
    v.kdf.iterations <= 10_000_000 &&
    text(v.kdf.salt);
  if (!ok) throw new KeyVaultError('ISOTYP_KEY_INVALID', 'The key kept in this browser is damaged.');
  return v as StoredKey;
}

/**
 * Reads a key file (`{keyId, publicKey, seed}`, as `isotyp keys generate` writes it) and checks
 * that the id and public key are the seed's own. Never repeats the content in an error.
 */
export function parseKeyFile(text: string): { file: KeyFile; seed: Uint8Array } {
  const refuse = () =>
    new KeyVaultError('ISOTYP_KEY_INVALID', 'This is not an Isotyp key file ({keyId, publicKey, seed}).');
  let parsed: Partial<KeyFile>;
  try {
    parsed = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    throw refuse();
  }
  if (typeof parsed?.seed !== 'string' || typeof parsed.keyId !== 'string' || typeof parsed.publicKey !== 'string') {
    throw refuse();
  }
  let seed: Uint8Array;
  try {
    seed = fromBase64Url(parsed.seed, SEED_BYTES);
  } catch {
    throw refuse();
  }
  const pair = keyPairFromSeed(seed);
  if (keyId(pair.publicKey) !== parsed.keyId || encodePublicKey(pair.publicKey) !== parsed.publicKey) {
    throw new KeyVaultError('ISOTYP_KEY_INVALID', 'The key file’s key id does not match its own key.');
  }
  return { file: { keyId: parsed.keyId, publicKey: parsed.publicKey, seed: parsed.seed }, seed };
}

/** The key file for `seed`, in the format `isotyp keys generate` writes. */
export function keyFileOf(seed: Uint8Array): string {
  const pair = keyPairFromSeed(seed);
  const file: KeyFile = {
    keyId: keyId(pair.publicKey),
    publicKey: encodePublicKey(pair.publicKey),
    seed: toBase64Url(seed),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
