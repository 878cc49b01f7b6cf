import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Password hashing with scrypt, stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url) so
 * the cost can be raised later: `needsRehash` tells the login route to re-hash with the current
 * parameters once the user has proved the password.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Caps what a stored hash may ask for, so a corrupted row cannot make a login allocate gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/**
 * Hashed against when the user does not exist (or has no password): the same parameters as real
 * hashes, so an unknown email costs one full scrypt like a wrong password and timing does not
 * reveal which emails are registered. Its hash part is all zeros, so nothing ever matches it.
 */
const DUMMY_HASH = `scrypt$${SCRYPT_PARAMS.N}$${SCRYPT_PARAMS.r}$${SCRYPT_PARAMS.p}$${Buffer.alloc(SALT_BYTES, 7).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = {
    ...params,
    // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that at N=2^15, r=8
    // and rejects it, so allow twice the need.
    maxmem: 256 * params.N * params.r,
  };
  // NFKC so the same password typed on different keyboards or platforms hashes the same.
  const input = Buffer.from(password.normalize('NFKC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(input, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parse(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  if (!parts.slice(1, 4).every((part) => /^[1-9][0-9]{0,7}$/.test(part))) return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const validInt = (n: number, max: number) => Number.isSafeInteger(n) && n >= 1 && n <= max;
  if (!validInt(N, MAX_N) || !validInt(r, MAX_R) || !validInt(p, MAX_P)) return undefined;
  // N must be a power of two above 1, as scrypt requires.
  if (N < 2 || (N & (N - 1)) !== 0) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || hash.length !== KEY_BYTES) return undefined;
  return { N, r, p, salt, hash };
}

/**
 * Hashes a password with a fresh salt and the current parameters.
 *
 * @example
 * await hashPassword('correct horse battery staple') // 'scrypt$32768$8$1$…$…'
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/**
 * True when `password` matches `stored`. Pass `undefined` for a missing user or a user without a
 * password: it still costs one scrypt, so callers need no separate "does the user exist" branch.
 * An unparsable stored hash also burns the dummy hash and answers false.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parse(stored);
  const target = parsed ?? (parse(DUMMY_HASH) as ParsedHash);
  const candidate = await derive(password, target.salt, target);
  const equal = timingSafeEqual(candidate, target.hash);
  return parsed !== undefined && equal;
}

/** True when `stored` was made with other parameters than today's (or cannot be read). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return (
    parsed === undefined ||
    parsed.N !== SCRYPT_PARAMS.N ||
    parsed.r !== SCRYPT_PARAMS.r ||
    parsed.p !== SCRYPT_PARAMS.p ||
    parsed.salt.length !== SALT_BYTES
  );
}

/** Exposed for the test that proves the missing-user path costs a real scrypt at today's parameters. */
export const dummyHashForTests = DUMMY_HASH;
