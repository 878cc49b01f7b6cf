import { randomBytes, scrypt, scryptSync } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dummyHashForTests, hashPassword, needsRehash, SCRYPT_PARAMS, verifyPassword } from './passwords.js';

// A pass-through spy, not a fake: the real scrypt runs, the test only counts how often and with
// which cost. That is how the timing-safe path is checked without asserting on wall-clock time.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});
const scryptCalls = () => vi.mocked(scrypt).mock.calls.map((call) => call[3]);
beforeEach(() => {
  vi.mocked(scrypt).mockClear();
});

function weakHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 2 ** 10, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

describe('passwords', () => {
  it('hashes into scrypt$N$r$p$salt$hash with today’s parameters and a fresh salt', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(needsRehash(a)).toBe(false);
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('treats canonically equivalent Unicode spellings as one password', async () => {
    const stored = await hashPassword('caf\u00e9 au lait 2030');
    expect(await verifyPassword('cafe\u0301 au lait 2030', stored)).toBe(true);
  });

  it('answers false for a missing user after one full-cost scrypt, like a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    vi.mocked(scrypt).mockClear();
    expect(await verifyPassword('wrong password', stored)).toBe(false);
    expect(await verifyPassword('anything at all', undefined)).toBe(false);
    expect(await verifyPassword('', undefined)).toBe(false);
    // Three verifications, three derivations, all at today's cost: no path skips the work.
    const calls = scryptCalls();
    expect(calls).toHaveLength(3);
    for (const options of calls) expect(options).toMatchObject(SCRYPT_PARAMS);
    expect(needsRehash(dummyHashForTests)).toBe(false);
  });

  it('refuses malformed or absurd stored hashes instead of throwing', async () => {
    for (const stored of [
      '',
      'bcrypt$2b$10$abc',
      'scrypt$32768$8$1$salt',
      'scrypt$0x8000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `scrypt$${2 ** 24}$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      vi.mocked(scrypt).mockClear();
      expect(await verifyPassword('x', stored)).toBe(false);
      // A corrupt row costs the same as a wrong password, and never its own absurd parameters.
      expect(scryptCalls()).toEqual([expect.objectContaining(SCRYPT_PARAMS)]);
      expect(needsRehash(stored)).toBe(true);
    }
  });

  it('verifies hashes made with older parameters and flags them for rehashing', async () => {
    const stored = weakHash('old but fine password');
    expect(await verifyPassword('old but fine password', stored)).toBe(true);
    expect(await verifyPassword('wrong', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });
});
