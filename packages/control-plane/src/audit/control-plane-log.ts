import { hash } from 'node:crypto';
import {
  formatVkey,
  fromBase64Url,
  generateKeyPair,
  IsotypError,
  keyPairFromSeed,
  type NoteKey,
  SEED_BYTES,
  signCheckpoint,
  toBase64,
  toBase64Url,
  toHex,
} from '@isotyp/protocol';
import { LOG_KEY_CONTEXT, SecretSeal } from '../storage/sealed-secrets.js';
import type { AuditEntryRecord, LogKeyRecord, Store } from '../storage/store.js';
import { MerkleCache } from './merkle-cache.js';

/** Rows read per query while catching up with the store. */
const PAGE = 2000;

export interface ControlPlaneLogOptions {
  store: Store;
  /** The public URL; its host names the log (`isotyp.control-plane/<host>`) when the key is made. */
  publicUrl: string;
  now?: () => Date;
  /** Seals the key's private seed in the store (the server passphrase's); kept as it is without one. */
  seal?: SecretSeal;
}

export interface SignedCheckpoint {
  origin: string;
  size: number;
  /** Standard base64, as in the note. */
  root: string;
  /** The C2SP checkpoint, signed with the log key. */
  note: string;
}

export interface InclusionAnswer {
  leafIndex: number;
  treeSize: number;
  /** The audit path, lowest sibling first, lower-case hex. */
  hashes: string[];
  /** The entry's canonical text: its leaf hash is SHA-256(0x00 ‖ entry). */
  entry: string;
}

interface LogKey extends NoteKey {
  secretKey: Uint8Array;
  vkey: string;
}

/** The log's name: C2SP key names and origins allow no spaces and no `+`. */
export function logOrigin(publicUrl: string): string {
  return `isotyp.control-plane/${new URL(publicUrl).host.replace(/\+/g, '-')}`;
}

/**
 * The control plane's audit log as a verifiable log: an Ed25519 log key kept in the store (made
 * by the first replica that needs it, then pinned by agents), a signed C2SP checkpoint of the
 * whole log, and inclusion and consistency proofs. The tree lives in memory (`MerkleCache`) and
 * catches up with the store on each use, reading only the entries appended since, and checking
 * each one's text against its stored leaf hash: a row edited under the log is refused, not signed.
 */
export class ControlPlaneLog {
  readonly #store: Store;
  readonly #publicUrl: string;
  readonly #now: () => Date;
  readonly #seal: SecretSeal;
  readonly #cache = new MerkleCache();
  #key: Promise<LogKey> | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #signed: SignedCheckpoint | undefined;

  constructor(options: ControlPlaneLogOptions) {
    this.#store = options.store;
    this.#publicUrl = options.publicUrl;
    this.#now = options.now ?? (() => new Date());
    this.#seal = options.seal ?? SecretSeal.of(undefined);
  }

  /** The log key's name and vkey line (what agents and auditors pin). */
  async logKey(): Promise<{ name: string; publicKey: string; vkey: string }> {
    const key = await this.#logKey();
    return { name: key.name, publicKey: toBase64(key.publicKey), vkey: key.vkey };
  }

  /** The current signed checkpoint; the same note while the log does not grow. */
  async checkpoint(): Promise<SignedCheckpoint> {
    const cache = await this.sync();
    const key = await this.#logKey();
    const size = cache.size;
    if (this.#signed?.size !== size) {
      const root = toBase64(cache.root(size));
      const note = signCheckpoint({ origin: key.name, size, root }, key);
      this.#signed = { origin: key.name, size, root, note };
    }
    return this.#signed;
  }

  /**
   * Proves entry `seq` of organisation `orgId` is in the tree of `size` entries (default: all).
   * An entry of another organisation answers 404 like one that does not exist.
   */
  async inclusion(orgId: string, seq: number, size?: number): Promise<InclusionAnswer> {
    const cache = await this.sync();
    const [record] = seq < cache.size ? await this.#store.audit.range(seq, seq + 1) : [];
    if (record === undefined || record.orgId !== orgId) {
      throw new IsotypError('ISOTYP_NOT_FOUND', `No audit entry ${seq} in your organisation.`, {
        hint: 'List the entries of an object with GET /v1/audit/entries?entity=kind:id.',
        details: { seq },
      });
    }
    const treeSize = size ?? cache.size;
    if (treeSize <= seq) {
      throw new IsotypError('ISOTYP_INVALID_INPUT', `Entry ${seq} is not in a tree of ${treeSize} entries.`, {
        hint: 'Ask for a tree size above the seq, e.g. the current checkpoint size.',
      });
    }
    const hashes = cache.inclusionProof(seq, treeSize).map(toHex);
    return { leafIndex: seq, treeSize, hashes, entry: record.entry };
  }

  /** Proves the tree of `from` entries is a prefix of the tree of `to`. */
  async consistency(from: number, to: number): Promise<{ hashes: string[] }> {
    const cache = await this.sync();
    return { hashes: cache.consistencyProof(from, to).map(toHex) };
  }

  /** Brings the in-memory tree up to the store's size. One catch-up at a time per replica. */
  sync(): Promise<MerkleCache> {
    const run = this.#chain.then(() => this.#catchUp());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #catchUp(): Promise<MerkleCache> {
    const cache = this.#cache;
    const size = await this.#store.audit.size();
    while (cache.size < size) {
      const rows = await this.#store.audit.range(cache.size, Math.min(size, cache.size + PAGE));
      if (rows.length === 0) throw tampered(cache.size, 'it is missing');
      for (const row of rows) cache.append(checkedLeaf(row, cache.size));
    }
    return cache;
  }

  #logKey(): Promise<LogKey> {
    this.#key ??= this.#loadKey().catch((error: unknown) => {
      this.#key = undefined;
      throw error;
    });
    return this.#key;
  }

  async #loadKey(): Promise<LogKey> {
    let record = await this.#store.audit.logKey();
    if (record === undefined) {
      const fresh = generateKeyPair();
      const candidate: LogKeyRecord = {
        id: 'audit-log',
        name: logOrigin(this.#publicUrl),
        publicKey: toBase64Url(fresh.publicKey),
        seed: this.#seal.seal(toBase64Url(fresh.secretKey.subarray(0, SEED_BYTES)), LOG_KEY_CONTEXT),
        createdAt: this.#now().toISOString(),
      };
      // Another replica may have made one meanwhile: everyone signs with the stored winner.
      record = await this.#store.audit.initLogKey(candidate);
    }
    const pair = keyPairFromSeed(fromBase64Url(this.#seal.open(record.seed, LOG_KEY_CONTEXT), SEED_BYTES));
    if (toBase64Url(pair.publicKey) !== record.publicKey) {
      throw new IsotypError('ISOTYP_CONFIG_INVALID', "The stored audit log key's halves do not match.", {
        hint: 'The audit_log_keys row was altered; restore it from a backup.',
      });
    }
    const key = { name: record.name, publicKey: pair.publicKey, secretKey: pair.secretKey };
    return { ...key, vkey: formatVkey(key) };
  }
}

/** The leaf hash of a stored row, after checking its seq and that its text hashes to it. */
function checkedLeaf(row: AuditEntryRecord, expectedSeq: number): Uint8Array {
  if (row.seq !== expectedSeq) throw tampered(expectedSeq, `the store returned entry ${row.seq} in its place`);
  const leaf = hash('sha256', Buffer.concat([Buffer.of(0), Buffer.from(row.entry, 'utf8')]), 'buffer');
  if (leaf.toString('hex') !== row.leafHash) throw tampered(row.seq, 'its text does not hash to its stored leaf');
  return leaf;
}

function tampered(seq: number, why: string): IsotypError {
  return new IsotypError('ISOTYP_AUDIT_TAMPERED', `The control plane's audit log is damaged at entry ${seq}: ${why}.`, {
    hint: 'The log will not be signed past this entry. Investigate the database; restore it from a backup.',
    details: { seq },
  });
}
