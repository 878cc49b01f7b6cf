import { hkdfSync } from 'node:crypto';
import { EncryptJWT, errors, type JWTPayload, jwtDecrypt } from 'jose';

/**
 * What the relying party keeps between two requests, sealed (encrypted and authenticated) so it
 * can live with the client instead of in a server-side table: every replica opens what any
 * replica sealed, and nothing is left behind when a sign-in is abandoned.
 *
 * - `login`: the console's PKCE verifier, state, nonce and return path, in a cookie.
 * - `device`: the IdP's device code, wrapped into the opaque handle the CLI polls with.
 *
 * Each purpose has its own key (HKDF from one secret), so a sealed value of one kind cannot be
 * presented as the other. JWE `dir` + A256GCM; the expiry is checked against the injected clock.
 */
export const sealPurposes = ['login', 'device'] as const;
export type SealPurpose = (typeof sealPurposes)[number];

export type OpenResult<T> = { ok: true; value: T } | { ok: false; reason: 'expired' | 'invalid' };

/** Longest value a caller may hand back (cookies and JSON bodies are bounded before parsing). */
export const MAX_SEALED_CHARS = 4096;

export class SealedState {
  readonly #keys: Record<SealPurpose, Uint8Array>;
  readonly #now: () => Date;

  /**
   * @param secret at least 32 bytes, the same on every replica.
   * @example
   * const sealed = new SealedState(secret, () => new Date());
   * const handle = await sealed.seal('device', { dc: deviceCode }, 600);
   */
  constructor(secret: Uint8Array, now: () => Date) {
    if (secret.byteLength < 32) throw new RangeError('The sealing secret needs at least 32 bytes.');
    const derive = (purpose: SealPurpose) =>
      new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), `isotyp oidc ${purpose} v1`, 32));
    this.#keys = { login: derive('login'), device: derive('device') };
    this.#now = now;
  }

  /** Seals `payload` for `purpose`, valid for `ttlSeconds` from now. */
  async seal(purpose: SealPurpose, payload: Record<string, string>, ttlSeconds: number): Promise<string> {
    const iat = Math.floor(this.#now().getTime() / 1000);
    return new EncryptJWT(payload)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .encrypt(this.#keys[purpose]);
  }

  /** Opens a sealed value; tampering, a foreign key or garbage are `invalid`, age is `expired`. */
  async open(purpose: SealPurpose, sealed: string): Promise<OpenResult<JWTPayload>> {
    if (sealed.length > MAX_SEALED_CHARS) return { ok: false, reason: 'invalid' };
    try {
      const { payload } = await jwtDecrypt(sealed, this.#keys[purpose], {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
        requiredClaims: ['exp', 'iat'],
        currentDate: this.#now(),
      });
      return { ok: true, value: payload };
    } catch (error) {
      return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
