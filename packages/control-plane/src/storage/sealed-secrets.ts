import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { IsotypError } from '@isotyp/protocol';
import type { Store } from './store.js';

/** How a sealed value starts in the database; anything else was stored before sealing existed. */
const SEALED = 'sealed:v1:';
const SALT = 'isotyp control plane: secrets at rest, v1';
/** scrypt's cost: ~50 ms once a process, 16 MiB; the passphrase is itself long (16+ characters, 32 random bytes embedded). */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Keys derived so far, by passphrase: every part of one process that seals shares one derivation. */
const derived = new Map<string, Buffer>();

/**
 * Seals the control plane's own secrets before they reach its database — the private halves of
 * its JWT signing keys and the webhooks' signing secrets — with AES-256-GCM under a key derived
 * (scrypt) from the server passphrase, `caPassphrase` (ISOTYP_CA_PASSPHRASE), which already
 * encrypts the agent CA's key. Each value is bound to what it is (`context`: `signing-key:<kid>`,
 * `webhook:<id>`) as associated data, so a sealed value copied onto another row does not open.
 * A copy of the database then holds no secret anyone can use without the passphrase.
 *
 * Without a passphrase (an in-memory store) values are kept as they are. `open` passes a value
 * that was never sealed (written before sealing existed, or without a passphrase) through as it is.
 *
 * @example
 * const seal = SecretSeal.of(config.caPassphrase);
 * const stored = seal.seal(secret, webhookContext(id)); // 'sealed:v1:…'
 * seal.open(stored, webhookContext(id)) === secret;
 */
export class SecretSeal {
  readonly #key: Buffer | undefined;

  private constructor(key: Buffer | undefined) {
    this.#key = key;
  }

  /** The seal of `passphrase`, derived once a process; without one, a seal that keeps values as they are. */
  static of(passphrase: string | undefined): SecretSeal {
    if (passphrase === undefined) return new SecretSeal(undefined);
    let key = derived.get(passphrase);
    if (key === undefined) {
      key = scryptSync(passphrase, SALT, 32, SCRYPT);
      derived.set(passphrase, key);
    }
    return new SecretSeal(key);
  }

  /** Whether `stored` was sealed (by any passphrase), rather than kept as it was. */
  static isSealed(stored: string): boolean {
    return stored.startsWith(SEALED);
  }

  /** Whether values are sealed (a passphrase was given). */
  get sealing(): boolean {
    return this.#key !== undefined;
  }

  seal(text: string, context: string): string {
    if (this.#key === undefined) return text;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${SEALED}${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  /** The value `seal` was given; ISOTYP_CONFIG_INVALID when this passphrase (or none) cannot open it. */
  open(stored: string, context: string): string {
    if (!stored.startsWith(SEALED)) return stored;
    if (this.#key === undefined) {
      throw new IsotypError(
        'ISOTYP_CONFIG_INVALID',
        `The stored ${kindOf(context)} is sealed and no passphrase was given.`,
        {
          hint: 'Start the control plane with the ISOTYP_CA_PASSPHRASE it was started with before.',
        },
      );
    }
    const bytes = Buffer.from(stored.slice(SEALED.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new IsotypError('ISOTYP_CONFIG_INVALID', `The passphrase does not open the stored ${kindOf(context)}.`, {
        hint: 'Start the control plane with the ISOTYP_CA_PASSPHRASE the value was sealed under; every replica needs the same one.',
        details: { context },
      });
    }
  }
}

/** The associated data of the audit log key's seed (the log has one key). */
export const LOG_KEY_CONTEXT = 'audit-log-key';

/** The associated data of a JWT signing key's private half. */
export function signingKeyContext(kid: string): string {
  return `signing-key:${kid}`;
}

/** The associated data of a webhook's signing secret. */
export function webhookContext(id: string): string {
  return `webhook:${id}`;
}

/** A secret as the store holds it, what it is bound to, and how to store it sealed anew. */
export interface StoredSecret {
  stored: string;
  context: string;
  /** Stores `to` in its place if it is still what was read; false when it changed meanwhile. */
  reseal(to: string): Promise<boolean>;
}

/** Stored answers read at a time (they are a day of writes: never all in memory at once). */
const ANSWERS_PAGE = 500;

/**
 * Every secret the control plane keeps sealed: its JWT signing keys, the webhooks' signing
 * secrets and the audit log's key — and, with `answers`, the stored answers of retried writes
 * (which may carry a token just issued), read a page at a time as they are consumed.
 *
 * @example
 * for await (const secret of storedSecrets(store)) seal.open(secret.stored, secret.context);
 */
export async function* storedSecrets(store: Store, { answers = false } = {}): AsyncGenerator<StoredSecret> {
  for (const key of await store.signingKeys.list()) {
    yield {
      stored: key.privateJwk,
      context: signingKeyContext(key.kid),
      reseal: (to) => store.signingKeys.reseal(key.kid, key.privateJwk, to),
    };
  }
  for (const hook of await store.webhooks.all()) {
    yield {
      stored: hook.secret,
      context: webhookContext(hook.id),
      reseal: (to) => store.webhooks.reseal(hook.id, hook.secret, to),
    };
  }
  const logKey = await store.audit.logKey();
  if (logKey !== undefined) {
    yield {
      stored: logKey.seed,
      context: LOG_KEY_CONTEXT,
      reseal: (to) => store.audit.resealLogKey(logKey.seed, to),
    };
  }
  if (!answers) return;
  let after: { principal: string; key: string } | undefined;
  for (;;) {
    const page = await store.idempotency.answers(after, ANSWERS_PAGE);
    for (const answer of page) {
      yield {
        stored: answer.body,
        context: idempotencyContext(answer.principal, answer.key),
        reseal: (to) => store.idempotency.reseal(answer.principal, answer.key, answer.body, to),
      };
    }
    if (page.length < ANSWERS_PAGE) return;
    after = page[page.length - 1];
  }
}

/** The associated data of a stored answer: the principal and the key it answers. */
export function idempotencyContext(principal: string, key: string): string {
  return `idempotency:${principal}:${key}`;
}

/**
 * At start, with a passphrase: seals the signing keys, webhook secrets and audit log key an
 * earlier version kept in the clear (each only if it is still what was read, so replicas
 * starting together do not clash), and opens every sealed one — a passphrase that does not open
 * them stops the start with ISOTYP_CONFIG_INVALID rather than failing sign-ins, deliveries and
 * checkpoints later. Stored answers of retried writes are left to expire (a day). Returns how
 * many values it sealed.
 *
 * @example
 * const sealed = await sealStoredSecrets(store, SecretSeal.of(config.caPassphrase));
 */
export async function sealStoredSecrets(store: Store, seal: SecretSeal): Promise<number> {
  if (!seal.sealing) return 0;
  let sealed = 0;
  for await (const value of storedSecrets(store)) {
    if (SecretSeal.isSealed(value.stored)) {
      seal.open(value.stored, value.context);
      continue;
    }
    if (await value.reseal(seal.seal(value.stored, value.context))) sealed++;
  }
  return sealed;
}

function kindOf(context: string): string {
  if (context.startsWith('webhook:')) return 'webhook secret';
  if (context === LOG_KEY_CONTEXT) return 'audit log key';
  if (context.startsWith('idempotency:')) return 'answer of a retried write';
  return 'signing key';
}
