import { randomUUID } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { ControlPlaneConfig } from '../config.js';
import { MAX_ACCESS_TOKEN_SECONDS, type SigningKeys } from './signing-keys.js';

/** Who an access token speaks for, once verified. */
export interface AccessTokenClaims {
  userId: string;
  orgId: string;
  email: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export interface AccessTokensOptions {
  keys: SigningKeys;
  config: Pick<ControlPlaneConfig, 'publicUrl' | 'accessTokenSeconds'>;
  now: () => Date;
}

/** Tolerated clock difference between replicas, in seconds. */
const CLOCK_SKEW_SECONDS = 30;
const TOKEN_TYPE = 'at+jwt';

function unauthenticated(message: string, cause?: unknown): IsotypError {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, {
    hint: 'Sign in again with isotyp login.',
    cause,
  });
}

/**
 * Short-lived EdDSA access tokens (RFC 9068 style: `typ: at+jwt`, issuer = the public URL,
 * audience = its `/v1` API). Verification accepts EdDSA only and maps every failure to a 401, so
 * a forged, truncated or foreign token can never surface as a 500.
 */
export class AccessTokens {
  readonly #keys: SigningKeys;
  readonly #now: () => Date;
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;

  constructor(options: AccessTokensOptions) {
    this.#keys = options.keys;
    this.#now = options.now;
    // One spelling of the issuer for signing and checking, whatever trailing slash config has.
    this.issuer = options.config.publicUrl.replace(/\/+$/, '');
    this.audience = `${this.issuer}/v1`;
    this.lifetimeSeconds = Math.min(options.config.accessTokenSeconds, MAX_ACCESS_TOKEN_SECONDS);
  }

  /**
   * Signs a token for a user.
   *
   * @example
   * const { token, expiresIn } = await tokens.issue({ userId, orgId, email });
   */
  async issue(subject: {
    userId: string;
    orgId: string;
    email: string;
  }): Promise<{ token: string; expiresIn: number }> {
    const { kid, key } = await this.#keys.signingKey();
    const iat = Math.floor(this.#now().getTime() / 1000);
    const token = await new SignJWT({ org: subject.orgId, email: subject.email })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: TOKEN_TYPE })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject.userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(key);
    return { token, expiresIn: this.lifetimeSeconds };
  }

  /** Verifies a token; throws ISOTYP_TOKEN_EXPIRED or ISOTYP_UNAUTHENTICATED, never anything else. */
  async verify(token: string): Promise<AccessTokenClaims> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch (error) {
      throw unauthenticated('The access token is malformed.', error);
    }
    if (typeof kid !== 'string' || kid === '') throw unauthenticated('The access token names no signing key.');
    // Outside the try: a store outage while loading keys is a 5xx, not the caller's fault.
    const verifier = await this.#keys.verifier(kid);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, verifier, {
        algorithms: ['EdDSA'],
        issuer: this.issuer,
        audience: this.audience,
        typ: TOKEN_TYPE,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti'],
        currentDate: this.#now(),
        clockTolerance: CLOCK_SKEW_SECONDS,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new IsotypError('ISOTYP_TOKEN_EXPIRED', 'The access token has expired.', {
          hint: 'Refresh it with POST /v1/auth/refresh, or sign in again with isotyp login.',
          cause: error,
        });
      }
      throw unauthenticated('The access token is not valid.', error);
    }
    return this.#claims(payload);
  }

  /** False once a token that expires at `expiresAt` (seconds) would be refused as expired. */
  stillValid(expiresAt: number): boolean {
    return this.#now().getTime() / 1000 < expiresAt + CLOCK_SKEW_SECONDS;
  }

  /** Checks jose leaves to the caller: the lifetime bound and the shape of our own claims. */
  #claims(payload: Record<string, unknown>): AccessTokenClaims {
    const { iat, exp, sub, org, email, jti } = payload;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw unauthenticated('The access token has no lifetime.');
    // A token signed with a leaked key (or a bug) must not live for years: the lifetime is bounded
    // here, whatever the signature says, and a token "issued" in the future is refused.
    if (exp - iat > MAX_ACCESS_TOKEN_SECONDS || exp <= iat) {
      throw unauthenticated('The access token lives longer than the server allows.');
    }
    const nowSeconds = this.#now().getTime() / 1000;
    if (iat > nowSeconds + CLOCK_SKEW_SECONDS) throw unauthenticated('The access token was issued in the future.');
    if (typeof sub !== 'string' || sub === '' || typeof org !== 'string' || org === '') {
      throw unauthenticated('The access token names no user or organisation.');
    }
    if (typeof email !== 'string' || typeof jti !== 'string') throw unauthenticated('The access token is incomplete.');
    return { userId: sub, orgId: org, email, jti, issuedAt: iat, expiresAt: exp };
  }
}
