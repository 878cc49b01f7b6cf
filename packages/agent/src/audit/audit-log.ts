import { fromHex, IsotypError, inclusionProof } from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import { type AuditEntity, type AuditEntry, buildEntry, formatEntry, type NewAuditEntry } from './entry.js';
import { leafHex } from './fast-hash.js';
import { openAuditDb } from './schema.js';
import { consistencyProofHex } from './tree-proofs.js';
import { readState, writeState } from './tree-state.js';
import { type AuditVerification, verifyAuditDb } from './verify.js';

/** An inclusion proof of one entry against the log's current tree (RFC 9162 PATH). */
export interface AuditProof {
  seq: number;
  entry: AuditEntry;
  leaf: Uint8Array;
  size: number;
  root: Uint8Array;
  proof: Uint8Array[];
}

/** A tree head the log committed to; sign it with `signCheckpoint` to send it upstream. */
export interface AuditCheckpoint {
  size: number;
  root: Uint8Array;
  time: string;
}

/** The last checkpoint of this log the control plane accepted (see checkpoint-exchange.ts). */
export interface UpstreamMarker {
  size: number;
  root: Uint8Array;
  /** When it was accepted (RFC 3339). */
  time: string;
}

/** The agent's local, append-only, Merkle-verified audit log. */
export interface AuditLog {
  /** Appends a batch in one transaction; returns their seqs (leaf indexes, from 0). */
  append(entries: readonly NewAuditEntry[]): number[];
  /** Recomputes every leaf and the tree; see AuditVerification. */
  verify(): AuditVerification;
  /** Proves entry `seq` is in the current tree. Throws ISOTYP_NOT_FOUND outside it. */
  proof(seq: number): AuditProof;
  /** Records the current `{size, root}`; verify() then checks the log still has that prefix. */
  checkpoint(now?: Date): AuditCheckpoint;
  /**
   * Proves the tree of `from` entries is a prefix of the tree of `to` (RFC 9162 PROOF), for
   * 0 < from ≤ to ≤ size. O(to): the log keeps no interior nodes. Throws ISOTYP_INVALID_INPUT otherwise.
   */
  consistency(from: number, to: number): Uint8Array[];
  /** The last checkpoint the control plane accepted, if one was recorded. */
  upstream(): UpstreamMarker | undefined;
  /** Records a checkpoint the control plane accepted; the next report proves consistency from it. */
  markUpstream(marker: UpstreamMarker): void;
  /** Every entry about one entity, oldest first. */
  history(kind: string, id: string): AuditEntry[];
  /** The newest entries first, optionally about one entity; `limit` defaults to 100. */
  list(options?: { entity?: AuditEntity; limit?: number }): AuditEntry[];
  readonly size: number;
  close(): void;
}

export interface AuditLogOptions {
  /** Where entry times come from (tests inject a fixed one). */
  clock?: () => Date;
}

const ENTITY_WHERE = "json_extract(entry, '$.entity.kind') = ? AND json_extract(entry, '$.entity.id') = ?";

/**
 * Opens the audit log at `path` (the agent uses `$ISOTYP_HOME/audit.db`), creating it 0600 in a
 * 0700 directory. Appends restore the persisted compact range inside their write transaction,
 * so several processes (daemon, CLI) can append to one file and each append stays O(log n).
 *
 * @example
 * const log = openAuditLog(join(home, 'audit.db'));
 * const [seq] = log.append([{ actor: 'user:ana', action: 'apply', entity: { kind: 'change', id }, details }]);
 * if (!log.verify().ok) throw …;
 */
export function openAuditLog(path: string, options: AuditLogOptions = {}): AuditLog {
  const { clock = () => new Date() } = options;
  const db = openAuditDb(path);
  // The leaf goes in as hex: a string is cheaper to hand over than a Buffer per entry.
  const insert = db.prepare('INSERT INTO entries (seq, entry, leaf) VALUES (?, ?, unhex(?))');
  const maxSeq = db.prepare('SELECT max(seq) FROM entries').pluck();

  const appendBatch = db.transaction((batch: readonly AuditEntry[], time: string): number[] => {
    const range = readState(db);
    // A row count that disagrees with the state means someone edited the file: appending
    // would bury the damage under new entries.
    const last = maxSeq.get() as number | null;
    if ((last ?? -1) !== range.size - 1) {
      throw new IsotypError('ISOTYP_CONFLICT', 'The audit log does not match its recorded tree state.', {
        hint: 'Run `isotyp audit verify` to find the first bad entry.',
        details: { size: range.size, lastSeq: last },
      });
    }
    const seqs: number[] = [];
    for (const built of batch) {
      const seq = range.size;
      const text = formatEntry({ ...built, seq, time });
      const leaf = leafHex(text);
      insert.run(seq, text, leaf);
      range.append(leaf);
      seqs.push(seq);
    }
    writeState(db, range);
    return seqs;
  });

  const readEntries = (sql: string, ...params: unknown[]): AuditEntry[] =>
    (
      db
        .prepare(sql)
        .pluck()
        .all(...params) as string[]
    ).map((text) => JSON.parse(text) as AuditEntry);

  return {
    append(entries) {
      if (entries.length === 0) return [];
      // Validate and digest before taking the write lock, so a bad entry costs other writers
      // nothing; seq and time are filled in under the lock.
      const built = entries.map((e) => buildEntry(e, 0, ''));
      return appendBatch.immediate(built, clock().toISOString());
    },
    verify: () => verifyAuditDb(db),
    proof: (seq) => db.transaction(() => proveIn(db, seq))(),
    checkpoint(now = clock()) {
      return db
        .transaction(() => {
          const range = readState(db);
          const head = { size: range.size, root: range.root(), time: now.toISOString() };
          // The empty tree commits to nothing; a size already checkpointed keeps its first record.
          if (head.size > 0) {
            db.prepare('INSERT OR IGNORE INTO checkpoints (size, root, time) VALUES (?, ?, ?)').run(
              head.size,
              Buffer.from(head.root),
              head.time,
            );
          }
          return head;
        })
        .immediate();
    },
    consistency(from, to) {
      return db.transaction(() => {
        const size = readState(db).size;
        if (!Number.isSafeInteger(to) || to > size) {
          throw new IsotypError('ISOTYP_INVALID_INPUT', `The log holds ${size} entries, not ${to}.`);
        }
        const leaves = db
          .prepare('SELECT lower(hex(leaf)) FROM entries WHERE seq < ? ORDER BY seq')
          .pluck()
          .all(to) as string[];
        if (leaves.length !== to) {
          throw new IsotypError('ISOTYP_CONFLICT', 'The audit log does not match its recorded tree state.', {
            hint: 'Run `isotyp audit verify` to find the first bad entry.',
          });
        }
        return consistencyProofHex(leaves, from, to).map(fromHex);
      })();
    },
    upstream() {
      const row = db.prepare('SELECT size, root, time FROM upstream WHERE id = 1').get() as
        | { size: number; root: Buffer; time: string }
        | undefined;
      return row === undefined ? undefined : { size: row.size, root: Uint8Array.from(row.root), time: row.time };
    },
    markUpstream(marker) {
      db.prepare('INSERT OR REPLACE INTO upstream (id, size, root, time) VALUES (1, ?, ?, ?)').run(
        marker.size,
        Buffer.from(marker.root),
        marker.time,
      );
    },
    history: (kind, id) => readEntries(`SELECT entry FROM entries WHERE ${ENTITY_WHERE} ORDER BY seq`, kind, id),
    list({ entity, limit = 100 } = {}) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new IsotypError('ISOTYP_INVALID_INPUT', `The limit must be a positive integer, got ${limit}.`);
      }
      return entity === undefined
        ? readEntries('SELECT entry FROM entries ORDER BY seq DESC LIMIT ?', limit)
        : readEntries(
            `SELECT entry FROM entries WHERE ${ENTITY_WHERE} ORDER BY seq DESC LIMIT ?`,
            entity.kind,
            entity.id,
            limit,
          );
    },
    get size() {
      return readState(db).size;
    },
    close: () => db.close(),
  };
}

function proveIn(db: BetterSqlite3.Database, seq: number): AuditProof {
  const range = readState(db);
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= range.size) {
    throw new IsotypError('ISOTYP_NOT_FOUND', `No audit entry ${seq}: the log holds ${range.size} entries.`, {
      details: { seq, size: range.size },
    });
  }
  // O(n): the log keeps no interior nodes. Fine for an on-demand CLI proof; a tile cache would
  // be the next step if proofs become frequent.
  const leaves = db.prepare('SELECT leaf FROM entries WHERE seq < ? ORDER BY seq').pluck().all(range.size) as Buffer[];
  const text = db.prepare('SELECT entry FROM entries WHERE seq = ?').pluck().get(seq) as string;
  if (leaves.length !== range.size) {
    throw new IsotypError('ISOTYP_CONFLICT', 'The audit log does not match its recorded tree state.', {
      hint: 'Run `isotyp audit verify` to find the first bad entry.',
    });
  }
  return {
    seq,
    entry: JSON.parse(text) as AuditEntry,
    leaf: leaves[seq] as Buffer,
    size: range.size,
    root: range.root(),
    proof: inclusionProof(leaves, seq),
  };
}
