import { IsotypError } from '@isotyp/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import { HexRange } from './fast-hash.js';

const HASH_SIZE = 32;

/** Reads the persisted range; an absent row is the empty log. Throws ISOTYP_CONFLICT if corrupt. */
export function readState(db: BetterSqlite3.Database): HexRange {
  const row = db.prepare('SELECT size, hashes FROM state WHERE id = 1').get() as
    | { size: unknown; hashes: unknown }
    | undefined;
  if (row === undefined) return new HexRange();
  const { size, hashes } = row;
  if (typeof size !== 'number' || !Buffer.isBuffer(hashes) || hashes.length % HASH_SIZE !== 0) {
    throw corrupt();
  }
  const list: string[] = [];
  for (let i = 0; i < hashes.length; i += HASH_SIZE) list.push(hashes.toString('hex', i, i + HASH_SIZE));
  try {
    return HexRange.restore(size, list);
  } catch (cause) {
    throw corrupt(cause);
  }
}

/** Persists the range; call inside the transaction that appended its leaves. */
export function writeState(db: BetterSqlite3.Database, range: HexRange): void {
  db.prepare('INSERT OR REPLACE INTO state (id, size, hashes) VALUES (1, ?, ?)').run(
    range.size,
    Buffer.from(range.hashes.join(''), 'hex'),
  );
}

function corrupt(cause?: unknown): IsotypError {
  return new IsotypError('ISOTYP_CONFLICT', "The audit log's stored tree state is corrupt.", {
    hint: 'Run `isotyp audit verify`; the log may have been edited outside Isotyp.',
    cause,
  });
}
