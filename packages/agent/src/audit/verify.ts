import type BetterSqlite3 from 'better-sqlite3';
import { entryLeaf, parseEntry } from './entry.js';
import { FastRange, readState } from './tree-state.js';

/** The outcome of `AuditLog.verify()`. */
export type AuditVerification =
  | { ok: true; size: number; root: Uint8Array }
  | { ok: false; firstBadSeq: number; reason: string };

type Row = [seq: unknown, entry: unknown, leaf: unknown];

/**
 * Rebuilds the whole log from the entry text alone and checks it against the stored leaves,
 * the persisted tree state and every checkpoint. Runs in one read transaction, so appends by
 * another process cannot make a clean log look torn.
 *
 * `firstBadSeq` is exact for anything visible in one row (an edited entry or leaf, a gap, a
 * renumbering). When an entry and its leaf were rewritten consistently only the tree hashes
 * disagree, and they pin the damage down to a perfect subtree or a checkpoint interval: then
 * `firstBadSeq` is the first entry of that range, the first one that can no longer be vouched for.
 */
export function verifyAuditDb(db: BetterSqlite3.Database): AuditVerification {
  return db.transaction(() => verifyInSnapshot(db))();
}

function verifyInSnapshot(db: BetterSqlite3.Database): AuditVerification {
  let state: FastRange;
  try {
    state = readState(db);
  } catch {
    return { ok: false, firstBadSeq: 0, reason: 'the stored tree state is corrupt' };
  }
  const checkpoints = db.prepare('SELECT size, root FROM checkpoints ORDER BY size').raw().all() as [number, Buffer][];
  const bad = (firstBadSeq: number, reason: string) => ({ ok: false as const, firstBadSeq, reason });
  const range = new FastRange();
  let next = 0;
  let checkpoint = 0;
  let lastGood = 0;
  for (const [seq, text, leaf] of db
    .prepare('SELECT seq, entry, leaf FROM entries ORDER BY seq')
    .raw()
    .iterate() as Iterable<Row>) {
    if (seq !== next) return bad(next, `entry ${next} is missing (the next stored entry is ${String(seq)})`);
    if (next >= state.size) return bad(next, `entry ${next} lies beyond the recorded tree size ${state.size}`);
    const parsed = parseEntry(text);
    if ('reason' in parsed) return bad(next, parsed.reason);
    if (parsed.entry.seq !== next) return bad(next, `the entry stored as ${next} says it is ${parsed.entry.seq}`);
    const computed = entryLeaf(text as string);
    if (!Buffer.isBuffer(leaf) || !computed.equals(leaf))
      return bad(next, 'the stored leaf hash does not match the entry');
    range.append(computed);
    next++;
    for (; checkpoint < checkpoints.length && (checkpoints[checkpoint] as [number, Buffer])[0] <= next; checkpoint++) {
      const [size, root] = checkpoints[checkpoint] as [number, Buffer];
      if (size !== next || !Buffer.from(range.root()).equals(root)) {
        return bad(lastGood, `entries ${lastGood}–${next - 1} do not hash to the checkpoint of size ${next}`);
      }
      lastGood = next;
    }
  }
  if (next < state.size) return bad(next, `the log is truncated: ${state.size} entries recorded, ${next} found`);
  const lastCheckpoint = checkpoints.at(-1);
  if (lastCheckpoint !== undefined && lastCheckpoint[0] > next) {
    return bad(next, `the log is truncated below its checkpoint of size ${lastCheckpoint[0]}`);
  }
  let start = 0;
  for (const [i, size] of range.subtreeSizes().entries()) {
    if (!range.hashes[i]?.equals(state.hashes[i] as Buffer)) {
      const from = Math.max(start, lastGood);
      return bad(from, `entries ${from}–${start + size - 1} do not hash to the recorded tree state`);
    }
    start += size;
  }
  return { ok: true, size: range.size, root: range.root() };
}
