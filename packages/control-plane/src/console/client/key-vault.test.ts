import { generateKeyPair, keyId, SEED_BYTES } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { checkStoredKey, keyFileOf, openSeed, parseKeyFile, sealSeed } from './key-vault.js';

// The console's key vault runs on WebCrypto, which Node has too: the same code as in browsers.
// A low iteration count keeps the tests quick; the format records the count used.
const fast = { iterations: 100_000 };
const seedOf = () => generateKeyPair().secretKey.slice(0, SEED_BYTES);

describe('the browser key vault', () => {
  it('opens what it sealed with the right passphrase, and keeps the seed out of the stored form', async () => {
    const seed = seedOf();
    const stored = await sealSeed(seed, 'a long enough passphrase', fast);
    expect(JSON.stringify(stored)).not.toContain(Buffer.from(seed).toString('base64url'));
    expect(await openSeed(stored, 'a long enough passphrase')).toEqual(seed);
  });

  it('refuses a wrong passphrase, a changed ciphertext and a blob passed off as another key', async () => {
    const stored = await sealSeed(seedOf(), 'a long enough passphrase', fast);
    await expect(openSeed(stored, 'another passphrase!!')).rejects.toMatchObject({ code: 'ISOTYP_PASSPHRASE_WRONG' });
    const flipped = `${stored.ciphertext.slice(0, 5)}${stored.ciphertext[5] === 'A' ? 'B' : 'A'}${stored.ciphertext.slice(6)}`;
    await expect(openSeed({ ...stored, ciphertext: flipped }, 'a long enough passphrase')).rejects.toMatchObject({
      code: 'ISOTYP_PASSPHRASE_WRONG',
    });
    const other = keyId(generateKeyPair().publicKey);
    await expect(openSeed({ ...stored, keyId: other }, 'a long enough passphrase')).rejects.toMatchObject({
      code: 'ISOTYP_PASSPHRASE_WRONG',
    });
  });

  it('refuses a short passphrase and a damaged stored form', async () => {
    await expect(sealSeed(seedOf(), 'short', fast)).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    expect(() => checkStoredKey({ v: 1 })).toThrow(/damaged/);
    const stored = await sealSeed(seedOf(), 'a long enough passphrase', fast);
    expect(() => checkStoredKey({ ...stored, kdf: { ...stored.kdf, iterations: 10 } })).toThrow(/damaged/);
  });

  it('reads the key file isotyp keys generate writes, and refuses one whose id is not its own', () => {
    const seed = seedOf();
    const text = keyFileOf(seed);
    expect(parseKeyFile(text).seed).toEqual(seed);
    const file = JSON.parse(text);
    const forged = JSON.stringify({ ...file, keyId: keyId(generateKeyPair().publicKey) });
    expect(() => parseKeyFile(forged)).toThrow(/does not match/);
    expect(() => parseKeyFile('not json')).toThrow(/not an Isotyp key file/);
    // The error never repeats the file's content.
    let message = '';
    try {
      parseKeyFile(JSON.stringify({ ...file, seed: `${file.seed}x` }));
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/not an Isotyp key file/);
    expect(message).not.toContain(file.seed);
  });
});
