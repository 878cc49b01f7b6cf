import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { IsotypError } from '@isotyp/protocol';
import Database from 'better-sqlite3';

/**
 * What an agent remembers between applies so that a control plane cannot take it backwards:
 * the nonces of the approvals it applied changes under (never accepted again for another
 * change), and the newest keyring version it used (an older one, which may still list a
 * removed key, is refused). One SQLite file in the agent's home.
 */
export interface TrustState {
  keyringVersionSeen(): number;
  /** True when `nonce` was recorded for a change other than `changeId`. */
  nonceUsedElsewhere(nonce: string, changeId: string): boolean;
  /** Records an applied change's approval nonces and keyring version, together. */
  recordApplied(applied: { changeId: string; nonces: readonly string[]; keyringVersion: number; at: Date }): void;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS used_nonces (
  nonce TEXT PRIMARY KEY,
  change_id TEXT NOT NULL,
  used_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS trust_versions (
  kind TEXT PRIMARY KEY,
  version INTEGER NOT NULL
) STRICT;`;

/**
 * @example
 * const state = openTrustState(join(isotypHome(), 'trust.db'));
 * if (state.nonceUsedElsewhere(nonce, changeId)) refuse();
 */
export function openTrustState(path: string): TrustState {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
  } catch (error) {
    throw new IsotypError('ISOTYP_CONFIG_INVALID', `Cannot open the agent's trust state ${path}.`, {
      hint: 'Check that $ISOTYP_HOME exists and is writable by this user.',
      cause: error,
    });
  }
  const keyring = db.prepare<[], number>(`SELECT version FROM trust_versions WHERE kind = 'keyring'`).pluck();
  const nonce = db.prepare<[string], string>('SELECT change_id FROM used_nonces WHERE nonce = ?').pluck();
  const insertNonce = db.prepare(
    'INSERT INTO used_nonces (nonce, change_id, used_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const raiseKeyring = db.prepare(
    `INSERT INTO trust_versions (kind, version) VALUES ('keyring', ?)
     ON CONFLICT (kind) DO UPDATE SET version = max(version, excluded.version)`,
  );
  const record = db.transaction((changeId: string, nonces: readonly string[], version: number, at: string) => {
    for (const n of nonces) {
      insertNonce.run(n, changeId, at);
      const owner = nonce.get(n);
      // Re-checked under the write lock: two agents on one home racing with one nonce.
      if (owner !== changeId) {
        throw new IsotypError('ISOTYP_APPROVAL_REPLAYED', `The approval nonce ${n} was used for change ${owner}.`);
      }
    }
    raiseKeyring.run(version);
  });
  return {
    keyringVersionSeen: () => keyring.get() ?? 0,
    nonceUsedElsewhere: (n, changeId) => {
      const owner = nonce.get(n);
      return owner !== undefined && owner !== changeId;
    },
    recordApplied: ({ changeId, nonces, keyringVersion, at }) =>
      record.immediate(changeId, nonces, keyringVersion, at.toISOString()),
    close: () => db.close(),
  };
}
