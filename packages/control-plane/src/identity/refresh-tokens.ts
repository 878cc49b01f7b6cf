import { createHash, randomBytes } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { ControlPlaneConfig } from '../config.js';
import { newId } from '../ids.js';
import type { Store, UserRecord } from '../storage/store.js';
import type { AccessTokens } from './access-tokens.js';

export const REFRESH_TOKEN_PREFIX = 'isotyp_rt_';
/** 32 random bytes in base64url. */
const REFRESH_TOKEN_PATTERN = /^isotyp_rt_[A-Za-z0-9_-]{43}$/;

/** What sign-in and refresh answer with. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  tokenType: 'Bearer';
}

export interface RefreshTokensOptions {
  store: Store;
  accessTokens: AccessTokens;
  config: Pick<ControlPlaneConfig, 'refreshTokenSeconds'>;
  now: () => Date;
}

/** The stored form: a database dump must not yield usable tokens. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function rejected(message: string): IsotypError {
  return new IsotypError('ISOTYP_UNAUTHENTICATED', message, { hint: 'Sign in again with isotyp login.' });
}

/**
 * Sessions: opaque refresh tokens that rotate on every use. Each sign-in starts a family; a
 * refresh consumes the presented token and issues the next one in the same family. Presenting a
 * token that was already rotated means two parties hold it (one of them stole it), so the store
 * revokes the whole family and both must sign in again.
 */
export class RefreshTokens {
  readonly #store: Store;
  readonly #accessTokens: AccessTokens;
  readonly #lifetimeMs: number;
  readonly #now: () => Date;

  constructor(options: RefreshTokensOptions) {
    this.#store = options.store;
    this.#accessTokens = options.accessTokens;
    this.#lifetimeMs = options.config.refreshTokenSeconds * 1000;
    this.#now = options.now;
  }

  /** Starts a new session (family) for a user who has just proved who they are. */
  async signIn(user: UserRecord, method: 'password' | 'oidc' = 'password'): Promise<TokenPair> {
    const familyId = newId('fam');
    const pair = await this.#pair(user, familyId);
    await appendAudit(
      this.#store,
      {
        orgId: user.orgId,
        actor: `user:${user.id}`,
        action: 'user.sign-in',
        entity: { kind: 'user', id: user.id },
        details: { method, session: familyId },
      },
      this.#now(),
    );
    return pair;
  }

  /**
   * Rotates `refreshToken`: the old one is spent, a new access and refresh token come back.
   *
   * @example
   * const next = await sessions.refresh(previous.refreshToken);
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) throw rejected('The refresh token is malformed.');
    const now = this.#now().toISOString();
    const consumed = await this.#store.refreshTokens.consume(hashRefreshToken(refreshToken), now);
    if (consumed === undefined) throw rejected('The refresh token is unknown, expired or revoked.');
    if ('reused' in consumed) {
      throw rejected('The refresh token was already used; every session descending from it is now revoked.');
    }
    const { token } = consumed;
    const user = await this.#store.users.get(token.orgId, token.userId);
    if (user === undefined || user.disabled) {
      await this.#store.refreshTokens.revokeFamily(token.familyId, now);
      throw rejected('The account behind this session no longer signs in.');
    }
    return this.#pair(user, token.familyId);
  }

  /**
   * Ends the session `refreshToken` belongs to. Unknown or already-ended tokens are accepted
   * quietly: logging out twice is not an error, and the answer reveals nothing about the token.
   */
  async revoke(refreshToken: string): Promise<void> {
    if (!REFRESH_TOKEN_PATTERN.test(refreshToken)) return;
    const now = this.#now().toISOString();
    // The store finds a family only through consume; consuming a token that is being thrown away
    // costs nothing, and a reused one has already revoked its family inside consume.
    const consumed = await this.#store.refreshTokens.consume(hashRefreshToken(refreshToken), now);
    if (consumed !== undefined && 'token' in consumed) {
      const { token } = consumed;
      await this.#store.refreshTokens.revokeFamily(token.familyId, now);
      await appendAudit(
        this.#store,
        {
          orgId: token.orgId,
          actor: `user:${token.userId}`,
          action: 'user.sign-out',
          entity: { kind: 'user', id: token.userId },
          details: { session: token.familyId },
        },
        this.#now(),
      );
    }
  }

  async #pair(user: UserRecord, familyId: string): Promise<TokenPair> {
    const refreshToken = `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.#now();
    await this.#store.refreshTokens.create({
      tokenHash: hashRefreshToken(refreshToken),
      userId: user.id,
      orgId: user.orgId,
      familyId,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.#lifetimeMs).toISOString(),
    });
    const access = await this.#accessTokens.issue({ userId: user.id, orgId: user.orgId, email: user.email });
    return { accessToken: access.token, refreshToken, expiresIn: access.expiresIn, tokenType: 'Bearer' };
  }
}
