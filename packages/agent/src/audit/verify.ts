import type BetterSqlite3 from 'better-sqlite3';
import { canonicalSeq, parseEntry } from './entry.js';
import { HexRange, leafHex } from './fast-hash.js';
import { readState } from './tree-state.js';

/** The outcome of `AuditLog.verify()`. */
export type AuditVerification =
  | { ok: true; size: number; root: Uint8Array }
  | { ok: false; firstBadSeq: number; reason: string };

/** Rows per page: big enough to amortise the statements, small enough to keep the heap flat. */
const PAGE = 4096;
/*
 * A page is read with two plucked statements over the same rows (one read transaction, so one
 * snapshot): the seqs, then each entry's stored leaf as lowercase hex followed by its text, as
 * one string. A row array per entry and a Buffer per leaf would cost more than the rest of the
 * entry's work. The pair is null unless the entry is text and the leaf a 32-byte blob, so the
 * split at 64 characters is exact; a null row is read again column by column. Each page starts
 * after the last seq checked, so nothing between two pages (4095.5 under a rewritten schema)
 * goes unread.
 */
const PAGE_OF = (column: string) => `SELECT ${column} FROM entries WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`;
const SEQS = PAGE_OF('seq');
const PAIRS = PAGE_OF(
  "CASE WHEN typeof(entry) = 'text' AND typeof(leaf) = 'blob' AND length(leaf) = 32 THEN lower(hex(leaf)) || entry END",
);
const ROW = "SELECT entry, CASE typeof(leaf) WHEN 'blob' THEN lower(hex(leaf)) END FROM entries WHERE seq = ?";
const HEX_LENGTH = 64;

/**
 * Rebuilds the whole log from the entry text alone and checks it against the stored leaves,
 * the persisted tree state and every checkpoint. Runs in one read transaction, so appends by
 * another process cannot make a clean log look torn.
 *
 * Every entry is checked in full: its seq against its position, its text for the canonical
 * form (canonicalSeq, or parseEntry where that cannot tell), its leaf hash recomputed from the
 * text against the stored one; then the tree against every checkpoint and the state.
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
  let state: HexRange;
  try {
    state = readState(db);
  } catch {
    return { ok: false, firstBadSeq: 0, reason: 'the stored tree state is corrupt' };
  }
  const checkpoints = (db.prepare('SELECT size, root FROM checkpoints ORDER BY size').raw().all() as unknown[][]).map(
    ([size, root]) => [size, Buffer.isBuffer(root) ? root.toString('hex') : null] as const,
  );
  const bad = (firstBadSeq: number, reason: string) => ({ ok: false as const, firstBadSeq, reason });
  const seqs = db.prepare(SEQS).pluck();
  const pairs = db.prepare(PAIRS).pluck();
  const row = db.prepare(ROW).raw();
  // Pages start after seq -1, so first look below: a negative seq (or NULL, which sorts first
  // under a rewritten schema) would otherwise never be read.
  const first = db.prepare('SELECT seq FROM entries ORDER BY seq LIMIT 1').pluck().get();
  if (first !== undefined && first !== 0)
    return bad(0, `entry 0 is missing (the next stored entry is ${String(first)})`);
  const range = new HexRange();
  let next = 0;
  let checkpoint = 0;
  let lastGood = 0;
  for (;;) {
    const pageSeqs = seqs.all(next - 1);
    const pagePairs = pairs.all(next - 1);
    for (let i = 0; i < pageSeqs.length; i++) {
      const seq = pageSeqs[i];
      if (seq !== next) return bad(next, `entry ${next} is missing (the next stored entry is ${String(seq)})`);
      if (next >= state.size) return bad(next, `entry ${next} lies beyond the recorded tree size ${state.size}`);
      const pair = pagePairs[i];
      let text: unknown;
      let leaf: unknown;
      if (typeof pair === 'string') {
        leaf = pair.slice(0, HEX_LENGTH);
        text = pair.slice(HEX_LENGTH);
      } else {
        [text, leaf] = row.get(seq) as [unknown, unknown];
      }
      let claimed = canonicalSeq(text);
      if (claimed === undefined) {
        const parsed = parseEntry(text);
        if ('reason' in parsed) return bad(next, parsed.reason);
        claimed = parsed.entry.seq;
      }
      if (claimed !== next) return bad(next, `the entry stored as ${next} says it is ${claimed}`);
      const computed = leafHex(text as string);
      if (computed !== leaf) return bad(next, 'the stored leaf hash does not match the entry');
      range.append(computed);
      next++;
      for (; checkpoint < checkpoints.length && (checkpoints[checkpoint]?.[0] as number) <= next; checkpoint++) {
        const [size, root] = checkpoints[checkpoint] as readonly [unknown, string | null];
        if (size !== next || range.rootHex() !== root) {
          return bad(lastGood, `entries ${lastGood}–${next - 1} do not hash to the checkpoint of size ${next}`);
        }
        lastGood = next;
      }
    }
    if (pageSeqs.length < PAGE) break;
  }
  if (next < state.size) return bad(next, `the log is truncated: ${state.size} entries recorded, ${next} found`);
  const lastCheckpoint = checkpoints.at(-1);
  if (lastCheckpoint !== undefined && (lastCheckpoint[0] as number) > next) {
    return bad(next, `the log is truncated below its checkpoint of size ${lastCheckpoint[0]}`);
  }
  let start = 0;
  for (const [i, size] of range.subtreeSizes().entries()) {
    if (range.hashes[i] !== state.hashes[i]) {
      const from = Math.max(start, lastGood);
      return bad(from, `entries ${from}–${start + size - 1} do not hash to the recorded tree state`);
    }
    start += size;
  }
  return { ok: true, size: range.size, root: range.root() };
}
