import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import type { CiAction, CiTokenRecord, Store } from '../storage/store.js';

export const CI_TOKEN_PREFIX = 'isotyp_ci_';
/** Fixed lengths, so the id and secret split unambiguously even though base64url contains `_`. */
const CI_TOKEN_PATTERN = /^isotyp_ci_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** `lastUsedAt` is written at most this often per token: a busy pipeline should not write per request. */
const TOUCH_INTERVAL_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface CreateCiToken {
  orgId: string;
  name: string;
  projectId: string;
  environmentId: string;
  actions: CiAction[];
  createdBy: string;
  /** Absent: the token lives until revoked. */
  expiresInDays?: number;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function rejected(
  message: string,
  code: 'ISOTYP_UNAUTHENTICATED' | 'ISOTYP_TOKEN_EXPIRED' = 'ISOTYP_UNAUTHENTICATED',
): IsotypError {
  return new IsotypError(code, message, {
    hint: 'Create a new CI token with isotyp tokens create and update the pipeline secret.',
  });
}

/**
 * CI tokens `isotyp_ci_<id>_<secret>`: the id finds the row, the secret proves possession. Only
 * SHA-256 of the secret is stored (the secret is 256 random bits, so a slow hash adds nothing),
 * and it is shown once, at creation. Each token is bound to one project, one environment and a
 * set of actions; `rbac.can()` enforces that binding.
 */
export class CiTokens {
  readonly #store: Store;
  readonly #now: () => Date;

  constructor(options: { store: Store; now: () => Date }) {
    this.#store = options.store;
    this.#now = options.now;
  }

  /**
   * Creates a token; `token` is the only time the plaintext exists outside the caller.
   *
   * @example
   * const { token } = await ciTokens.create({ orgId, name: 'deploy', projectId, environmentId,
   *   actions: ['apply'], createdBy: userId });
   */
  async create(input: CreateCiToken): Promise<{ record: CiTokenRecord; token: string }> {
    let id = '';
    for (let i = 0; i < 12; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
    const secret = randomBytes(32).toString('base64url');
    const now = this.#now();
    const record: CiTokenRecord = {
      id,
      orgId: input.orgId,
      name: input.name,
      secretHash: hashSecret(secret).toString('hex'),
      projectId: input.projectId,
      environmentId: input.environmentId,
      actions: [...new Set(input.actions)],
      createdBy: input.createdBy,
      createdAt: now.toISOString(),
      ...(input.expiresInDays === undefined
        ? {}
        : { expiresAt: new Date(now.getTime() + input.expiresInDays * DAY_MS).toISOString() }),
    };
    await this.#store.ciTokens.create(record);
    return { record, token: `${CI_TOKEN_PREFIX}${id}_${secret}` };
  }

  /** The token's record when `token` is a live CI token; ISOTYP_UNAUTHENTICATED otherwise. */
  async verify(token: string): Promise<CiTokenRecord> {
    const match = CI_TOKEN_PATTERN.exec(token);
    if (match === null) throw rejected('The CI token is malformed.');
    const [, id = '', secret = ''] = match;
    const record = await this.#store.ciTokens.byId(id);
    // Compare against a throwaway hash when the id is unknown, so both paths do the same work.
    const expected = record === undefined ? Buffer.alloc(32) : Buffer.from(record.secretHash, 'hex');
    const presented = hashSecret(secret);
    const matches = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (record === undefined || !matches) throw rejected('The CI token is not valid.');
    const now = this.#now();
    if (record.revokedAt !== undefined) throw rejected('The CI token has been revoked.');
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) {
      throw rejected('The CI token has expired.', 'ISOTYP_TOKEN_EXPIRED');
    }
    if (record.lastUsedAt === undefined || now.getTime() - Date.parse(record.lastUsedAt) >= TOUCH_INTERVAL_MS) {
      await this.#store.ciTokens.touch(record.id, now.toISOString());
    }
    return record;
  }
}
