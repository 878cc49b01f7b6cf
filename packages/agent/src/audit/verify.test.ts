import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openAuditLog } from './audit-log.js';
import { entryLeaf } from './entry.js';
import { sampleEntries, tamper, tempAuditPath } from './test-support.js';
import { FastRange } from './tree-state.js';

/** A clean 100-entry log, optionally with checkpoints at the given sizes. */
function log100(checkpointsAt: number[] = []): string {
  const path = tempAuditPath();
  const log = openAuditLog(path);
  let size = 0;
  for (const at of [...checkpointsAt, 100]) {
    log.append(sampleEntries(at - size, size));
    size = at;
    if (at < 100) log.checkpoint();
  }
  log.close();
  return path;
}

function verdict(path: string) {
  const log = openAuditLog(path);
  try {
    return log.verify();
  } finally {
    log.close();
  }
}

const rewrite = (seq: number) => {
  // A consistent forgery: new entry text and its correctly recomputed leaf.
  return (path: string) => {
    const raw = new Database(path);
    const text = (raw.prepare('SELECT entry FROM entries WHERE seq = ?').pluck().get(seq) as string).replace(
      '"apply"',
      '"drop"',
    );
    raw.close();
    tamper(
      path,
      `UPDATE entries SET entry = '${text}', leaf = x'${entryLeaf(text).toString('hex')}' WHERE seq = ${seq}`,
    );
  };
};

describe('AuditLog.verify against an attacker who drops the triggers', () => {
  it('accepts a clean log', () => {
    expect(verdict(log100([30, 64]))).toMatchObject({ ok: true, size: 100 });
  });

  it.each([
    ['an edited entry', `UPDATE entries SET entry = replace(entry, '"apply"', '"drop"') WHERE seq = 42`, 42],
    ['an edited leaf', 'UPDATE entries SET leaf = zeroblob(32) WHERE seq = 42', 42],
    [
      'a non-canonical entry',
      `UPDATE entries SET entry = replace(entry, '{"action"', '{ "action"') WHERE seq = 42`,
      42,
    ],
    ['a deleted row', 'DELETE FROM entries WHERE seq = 42', 42],
    ['a renumbered row', 'UPDATE entries SET seq = 1000 WHERE seq = 42', 42],
    ['the last row deleted', 'DELETE FROM entries WHERE seq = 99', 99],
    ['a truncated log', 'DELETE FROM entries WHERE seq >= 90', 90],
    [
      'a swap of two rows',
      `UPDATE entries SET seq = -1 WHERE seq = 10; UPDATE entries SET seq = 10 WHERE seq = 20;
       UPDATE entries SET seq = 20 WHERE seq = -1;`,
      10,
    ],
    [
      'rows shifted down over a deleted one',
      'DELETE FROM entries WHERE seq = 42; UPDATE entries SET seq = seq - 1 WHERE seq > 42',
      42,
    ],
    ['an extra row', `INSERT INTO entries SELECT 100, entry, leaf FROM entries WHERE seq = 5`, 100],
  ])('catches %s', (_name, sql, firstBadSeq) => {
    const path = log100();
    tamper(path, sql);
    expect(verdict(path)).toEqual({ ok: false, firstBadSeq, reason: expect.any(String) });
  });

  it('catches an entry rewritten with a matching leaf, down to its perfect subtree', () => {
    const path = log100();
    rewrite(70)(path);
    // 100 = 64 + 32 + 4: seq 70 is in the subtree [64, 96).
    expect(verdict(path)).toEqual({ ok: false, firstBadSeq: 64, reason: expect.stringMatching(/64–95/) });
  });

  it('narrows a consistent rewrite with the last checkpoint before it', () => {
    const path = log100([66]);
    rewrite(70)(path);
    expect(verdict(path)).toMatchObject({ ok: false, firstBadSeq: 66 });
  });

  it('catches a consistent rewrite before a checkpoint', () => {
    const path = log100([30, 64]);
    rewrite(40)(path);
    expect(verdict(path)).toMatchObject({
      ok: false,
      firstBadSeq: 30,
      reason: expect.stringMatching(/checkpoint of size 64/),
    });
  });

  it('catches truncation below a checkpoint even when the tree state is rewritten to match', () => {
    const path = log100([95]);
    const raw = new Database(path, { readonly: true });
    const range = new FastRange();
    for (const leaf of raw.prepare('SELECT leaf FROM entries WHERE seq < 90 ORDER BY seq').pluck().all() as Buffer[]) {
      range.append(leaf);
    }
    raw.close();
    tamper(
      path,
      'DELETE FROM entries WHERE seq >= 90',
      `UPDATE state SET size = 90, hashes = x'${Buffer.concat(range.hashes).toString('hex')}'`,
    );
    expect(verdict(path)).toEqual({
      ok: false,
      firstBadSeq: 90,
      reason: expect.stringMatching(/checkpoint of size 95/),
    });
  });

  it('refuses to append on top of a tampered log', () => {
    const path = log100();
    tamper(path, 'DELETE FROM entries WHERE seq = 99');
    const log = openAuditLog(path);
    expect(() => log.append(sampleEntries(1))).toThrow(/does not match its recorded tree state/);
    log.close();
  });
});
