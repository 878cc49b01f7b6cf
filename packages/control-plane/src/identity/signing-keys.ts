import type { webcrypto } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { appendServerAudit } from '../audit/audit-log.js';
import { SecretSeal, signingKeyContext } from '../storage/sealed-secrets.js';
import type { SigningKeyRecord, Store } from '../storage/store.js';

/** WebCrypto's key type, named through Node's types (the package compiles without the DOM lib). */
type CryptoKey = webcrypto.CryptoKey;

export interface SigningKeysOptions {
  store: Store;
  now: () => Date;
  /** How long one replica trusts its copy of the key table before reading it again. */
  cacheMs?: number;
  /** A new key is made (and the old one retired) once the active key is this old. */
  rotateAfterMs?: number;
  /** Seals the private halves in the store (see SecretSeal); kept as they are without one. */
  seal?: SecretSeal;
}

interface Snapshot {
  loadedAt: number;
  /** `store.stamp` of the key table when it was read: another stamp means a key was added, retired or revoked. */
  stamp: string | undefined;
  signing: { kid: string; key: CryptoKey };
  jwks: JSONWebKeySet;
  verifier: JWTVerifyGetKey;
  kids: Set<string>;
}

/** What one rotation did, as `rotate` answers and the audit entry records it. */
export interface SigningKeyRotation {
  /** The key new access tokens are signed with from now on. */
  kid: string;
  /** Keys retired now: still published until the tokens they signed expire (≤ 15 minutes). */
  retired: string[];
  /** Keys revoked now: tokens they signed are refused at once. */
  revoked: string[];
}

/** Longest access-token lifetime any replica may issue (config caps it at 15 minutes too). */
export const MAX_ACCESS_TOKEN_SECONDS = 900;
const DAY_MS = 24 * 3600 * 1000;
/** An unknown kid re-reads the table at most this often, so random kids cannot hammer the database. */
const MIN_RELOAD_MS = 2000;
const KEY_TABLE = ['signingKeys'] as const;

/**
 * The server's EdDSA (Ed25519) JWT keys. They live in the store so every replica signs and
 * verifies with the same set; each replica caches them for `cacheMs`. The first replica to need a
 * key makes one. A retired key stays published until every token it signed has expired.
 */
export class SigningKeys {
  readonly #store: Store;
  readonly #now: () => Date;
  readonly #cacheMs: number;
  readonly #rotateAfterMs: number;
  readonly #seal: SecretSeal;
  #snapshot: Snapshot | undefined;
  /** One load at a time per replica, so concurrent first requests make one key, not many. */
  #loading: Promise<Snapshot> | undefined;

  constructor(options: SigningKeysOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#cacheMs = options.cacheMs ?? 60_000;
    this.#rotateAfterMs = options.rotateAfterMs ?? 30 * DAY_MS;
    this.#seal = options.seal ?? SecretSeal.of(undefined);
  }

  /** The key new tokens are signed with. */
  async signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    return (await this.#current()).signing;
  }

  /** The public keys (active and recently retired) as served at `/.well-known/jwks.json`. */
  async jwks(): Promise<JSONWebKeySet> {
    return (await this.#current()).jwks;
  }

  /**
   * A jose key resolver for a token that names `kid`. A kid this replica has not seen yet (another
   * replica just rotated) re-reads the table once before giving up.
   */
  async verifier(kid: string): Promise<JWTVerifyGetKey> {
    let snapshot = await this.#current();
    if (!snapshot.kids.has(kid) && this.#now().getTime() - snapshot.loadedAt >= MIN_RELOAD_MS) {
      snapshot = await this.#reload();
    }
    return snapshot.verifier;
  }

  /**
   * Makes a new active key and retires the others: they stay published for a while, so tokens
   * they signed run out; `revokePrevious` (for keys that may have leaked) stops them verifying
   * anything at once. Recorded in every organisation's log (reason `command`).
   */
  async rotate({ revokePrevious = false } = {}): Promise<SigningKeyRotation> {
    const rotation = await this.#rotate(await this.#store.signingKeys.list(), 'command', revokePrevious);
    // A fresh read, not the shared in-flight one, which may predate the new key.
    await this.#load();
    return rotation;
  }

  async #current(): Promise<Snapshot> {
    const snapshot = this.#snapshot;
    if (
      snapshot !== undefined &&
      this.#now().getTime() - snapshot.loadedAt < this.#cacheMs &&
      // A key written since (here or, as far as the store can follow, on another replica) is read
      // at once: a revoked key must stop verifying everywhere, not a minute later.
      (snapshot.stamp === undefined || this.#store.stamp(KEY_TABLE) === snapshot.stamp)
    ) {
      return snapshot;
    }
    return this.#reload();
  }

  #reload(): Promise<Snapshot> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Snapshot> {
    const stamp = this.#store.stamp(KEY_TABLE);
    let records = await this.#store.signingKeys.list();
    const newest = records.find((k) => k.retiredAt === undefined);
    if (newest === undefined) {
      // No active key (a new database): adding one is no rotation, and is not recorded.
      await this.#addKey();
      records = await this.#store.signingKeys.list();
    } else if (this.#now().getTime() - Date.parse(newest.createdAt) >= this.#rotateAfterMs) {
      await this.#rotate(records, 'scheduled');
      records = await this.#store.signingKeys.list();
    }
    const active = records.find((k) => k.retiredAt === undefined);
    if (active === undefined) throw new Error('No active signing key right after adding one.');
    const published = records.filter((k) => this.#published(k));
    const jwks: JSONWebKeySet = { keys: published.map((k) => JSON.parse(k.publicJwk) as JWK) };
    const privateJwk = this.#seal.open(active.privateJwk, signingKeyContext(active.kid));
    const key = (await importJWK(JSON.parse(privateJwk) as JWK, 'EdDSA')) as CryptoKey;
    const snapshot: Snapshot = {
      loadedAt: this.#now().getTime(),
      // Taken before the read: a write during it (this load's own rotation too) makes the next call read again.
      stamp,
      signing: { kid: active.kid, key },
      jwks,
      verifier: createLocalJWKSet(jwks),
      kids: new Set(published.map((k) => k.kid)),
    };
    this.#snapshot = snapshot;
    return snapshot;
  }

  /**
   * Adds a key, then retires the active keys in `seen` only: a key another replica added in the
   * meantime stays active, so two replicas rotating at once end with two valid keys, not none
   * (and each records its own). With `revokePrevious`, the keys in `seen` are revoked too. The
   * rotation and its entry in every organisation's log (`server.signing-key.rotate`) commit together.
   */
  async #rotate(
    seen: SigningKeyRecord[],
    reason: 'command' | 'scheduled',
    revokePrevious = false,
  ): Promise<SigningKeyRotation> {
    return this.#store.atomically(async () => {
      const kid = await this.#addKey();
      const now = this.#now().toISOString();
      const rotation: SigningKeyRotation = { kid, retired: [], revoked: [] };
      for (const key of seen) {
        if (key.retiredAt === undefined) {
          await this.#store.signingKeys.retire(key.kid, now);
          rotation.retired.push(key.kid);
        }
        if (revokePrevious && (await this.#store.signingKeys.revoke(key.kid, now))) rotation.revoked.push(key.kid);
      }
      await appendServerAudit(
        this.#store,
        'server.signing-key.rotate',
        { kind: 'signing-key', id: kid },
        { ...rotation, reason },
      );
      return rotation;
    });
  }

  #published(key: SigningKeyRecord): boolean {
    if (key.revokedAt !== undefined) return false;
    if (key.retiredAt === undefined) return true;
    // Another replica may sign with a just-retired key until its cache expires, and the token
    // then lives up to 15 minutes: keep the key published for both, plus clock skew.
    const keepMs = (MAX_ACCESS_TOKEN_SECONDS + 60) * 1000 + 2 * this.#cacheMs;
    return this.#now().getTime() - Date.parse(key.retiredAt) < keepMs;
  }

  async #addKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const decorated = { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
    await this.#store.signingKeys.add({
      kid,
      publicJwk: JSON.stringify(decorated),
      privateJwk: this.#seal.seal(JSON.stringify(privateJwk), signingKeyContext(kid)),
      createdAt: this.#now().toISOString(),
    });
    return kid;
  }
}
