import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { rootOf } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog } from './audit-log.js';
import { buildEntry, entryLeaf, formatEntry } from './entry.js';
import { HexRange, leafHex } from './fast-hash.js';
import { sampleEntries, tamper, tempAuditPath } from './test-support.js';

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
    ['a row before the first', `INSERT INTO entries SELECT -1, entry, leaf FROM entries WHERE seq = 5`, 0],
    ['an entry stored as a blob', 'UPDATE entries SET entry = CAST(entry AS BLOB) WHERE seq = 42', 42],
    [
      // Read as one string, hex(leaf) || entry would still split into the right hash and text.
      'a leaf one byte short, its last byte moved in front of the entry',
      `DROP INDEX entries_entity;
       UPDATE entries SET entry = lower(hex(substr(leaf, 32, 1))) || entry, leaf = substr(leaf, 1, 31) WHERE seq = 42`,
      42,
    ],
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
    const range = new HexRange();
    const leaves = raw.prepare('SELECT lower(hex(leaf)) FROM entries WHERE seq < 90 ORDER BY seq').pluck().all();
    for (const leaf of leaves as string[]) range.append(leaf);
    raw.close();
    tamper(
      path,
      'DELETE FROM entries WHERE seq >= 90',
      `UPDATE state SET size = 90, hashes = x'${range.hashes.join('')}'`,
    );
    expect(verdict(path)).toEqual({
      ok: false,
      firstBadSeq: 90,
      reason: expect.stringMatching(/checkpoint of size 95/),
    });
  });

  it('reads every row between pages, even under a schema rewritten to allow fractional seqs', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path);
    log.append(sampleEntries(5_000));
    log.close();
    tamper(
      path,
      `ALTER TABLE entries RENAME TO original;
       CREATE TABLE entries (seq REAL PRIMARY KEY, entry TEXT NOT NULL, leaf BLOB NOT NULL);
       INSERT INTO entries SELECT * FROM original;
       INSERT INTO entries SELECT 4095.5, entry, leaf FROM original WHERE seq = 5;
       DROP TABLE original;`,
    );
    expect(verdict(path)).toEqual({ ok: false, firstBadSeq: 4096, reason: expect.stringMatching(/4095\.5/) });
  });

  it('refuses to append on top of a tampered log', () => {
    const path = log100();
    tamper(path, 'DELETE FROM entries WHERE seq = 99');
    const log = openAuditLog(path);
    expect(() => log.append(sampleEntries(1))).toThrow(/does not match its recorded tree state/);
    log.close();
  });
});

describe('AuditLog.verify on a 100,000-entry log', () => {
  const SIZE = 100_000;
  const CHECKPOINTS = [25_000, 50_000, 90_000];
  let clean = '';

  beforeAll(() => {
    clean = tempAuditPath();
    const log = openAuditLog(clean);
    for (let size = 0; size < SIZE; size += 10_000) {
      log.append(sampleEntries(10_000, size));
      if (CHECKPOINTS.includes(size + 10_000)) log.checkpoint();
    }
    log.close();
  }, 120_000);

  /** A copy of the clean log, edited through `edit` by an attacker who dropped the triggers. */
  function tampered(edit: (db: Database.Database) => void): string {
    const path = tempAuditPath();
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(clean, path);
    tamper(path);
    const db = new Database(path);
    try {
      db.transaction(() => edit(db))();
    } finally {
      db.close();
    }
    return path;
  }
  const entryAt = (db: Database.Database, seq: number) =>
    db.prepare('SELECT entry FROM entries WHERE seq = ?').pluck().get(seq) as string;
  /** Moves every row above `seq` one up (via negative seqs, so no two rows collide on the way). */
  const shiftUp = (db: Database.Database, seq: number) =>
    db.exec(`UPDATE entries SET seq = -(seq + 1) WHERE seq > ${seq}; UPDATE entries SET seq = -seq WHERE seq < 0;`);
  /** Rewrites the state to the tree over the stored leaves, as an attacker covering tracks would. */
  const restate = (db: Database.Database) => {
    const range = new HexRange();
    for (const leaf of db.prepare('SELECT lower(hex(leaf)) FROM entries ORDER BY seq').pluck().iterate()) {
      range.append(leaf as string);
    }
    db.prepare('UPDATE state SET size = ?, hashes = unhex(?)').run(range.size, range.hashes.join(''));
  };
  // Deterministic "random" positions (a fixed-seed LCG), so a failure can be replayed.
  let state = 20_261_126;
  const random = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };

  it('accepts the clean log, with the root protocol computes over its leaves', () => {
    const db = new Database(clean, { readonly: true });
    const leaves = db.prepare('SELECT leaf FROM entries ORDER BY seq').pluck().all() as Buffer[];
    db.close();
    expect(verdict(clean)).toEqual({ ok: true, size: SIZE, root: rootOf(leaves) });
  });

  it('catches one flipped bit in the first, the last and random entries, at that entry', () => {
    for (const seq of [0, SIZE - 1, random(SIZE), random(SIZE), random(SIZE)]) {
      const path = tampered((db) => {
        // The entity index parses each entry, so it would refuse text that is no longer JSON.
        db.exec('DROP INDEX IF EXISTS entries_entity');
        const text = entryAt(db, seq);
        const at = random(text.length);
        // Bits 0–6 keep the (ASCII) text valid UTF-8, so the flip is all that changes.
        const flipped = String.fromCharCode(text.charCodeAt(at) ^ (1 << random(7)));
        db.prepare('UPDATE entries SET entry = ? WHERE seq = ?').run(
          text.slice(0, at) + flipped + text.slice(at + 1),
          seq,
        );
      });
      expect([seq, verdict(path)]).toEqual([seq, { ok: false, firstBadSeq: seq, reason: expect.any(String) }]);
    }
  });

  it('catches a flipped bit in a stored leaf', () => {
    const seq = random(SIZE);
    const path = tampered((db) => {
      const leaf = db.prepare('SELECT leaf FROM entries WHERE seq = ?').pluck().get(seq) as Buffer;
      const at = random(32);
      leaf.writeUInt8(leaf.readUInt8(at) ^ (1 << random(8)), at);
      db.prepare('UPDATE entries SET leaf = ? WHERE seq = ?').run(leaf, seq);
    });
    expect(verdict(path)).toEqual({ ok: false, firstBadSeq: seq, reason: expect.stringMatching(/leaf hash/) });
  });

  it('catches a deletion, a duplicate, a swap and an insertion at the first entry out of place', () => {
    const [a, b] = [random(SIZE - 2), random(SIZE - 2)].sort((x, y) => x - y) as [number, number];
    const deleted = tampered((db) => db.prepare('DELETE FROM entries WHERE seq = ?').run(a));
    expect(verdict(deleted)).toEqual({ ok: false, firstBadSeq: a, reason: expect.stringMatching(/missing/) });

    const duplicated = tampered((db) => {
      shiftUp(db, a);
      db.prepare('INSERT INTO entries SELECT seq + 1, entry, leaf FROM entries WHERE seq = ?').run(a);
    });
    expect(verdict(duplicated)).toEqual({ ok: false, firstBadSeq: a + 1, reason: expect.stringMatching(/says it is/) });

    const swapped = tampered((db) => {
      const swap = db.prepare('UPDATE entries SET seq = ? WHERE seq = ?');
      swap.run(-1, a);
      swap.run(a, b + 1);
      swap.run(b + 1, -1);
    });
    expect(verdict(swapped)).toEqual({ ok: false, firstBadSeq: a, reason: expect.stringMatching(/says it is/) });

    // A well-formed forged entry slipped in at a + 1; the entries after it keep their text.
    const inserted = tampered((db) => {
      shiftUp(db, a);
      const text = formatEntry(
        buildEntry(
          { actor: 'user:mallory', action: 'apply', entity: { kind: 'change', id: 'x' } },
          a + 1,
          '2026-11-26T14:29:56.123Z',
        ),
      );
      db.prepare('INSERT INTO entries VALUES (?, ?, unhex(?))').run(a + 1, text, leafHex(text));
    });
    expect(verdict(inserted)).toEqual({ ok: false, firstBadSeq: a + 2, reason: expect.stringMatching(/says it is/) });
  });

  it('catches an insertion with every later entry, leaf and the state rewritten, by the next checkpoint', () => {
    const at = 50_000 + random(40_000);
    const path = tampered((db) => {
      const later = db.prepare('SELECT seq, entry FROM entries WHERE seq >= ? ORDER BY seq DESC').raw().all(at);
      const move = db.prepare('UPDATE entries SET seq = ?, entry = ?, leaf = unhex(?) WHERE seq = ?');
      for (const [seq, text] of later as [number, string][]) {
        const renumbered = text.replace(`"seq":${seq},`, `"seq":${seq + 1},`);
        move.run(seq + 1, renumbered, leafHex(renumbered), seq);
      }
      const forged = formatEntry(
        buildEntry(
          { actor: 'user:mallory', action: 'apply', entity: { kind: 'change', id: 'x' } },
          at,
          '2026-11-26T14:29:56.123Z',
        ),
      );
      db.prepare('INSERT INTO entries VALUES (?, ?, unhex(?))').run(at, forged, leafHex(forged));
      restate(db);
    });
    expect(verdict(path)).toEqual({
      ok: false,
      firstBadSeq: 50_000,
      reason: expect.stringMatching(/checkpoint of size 90000/),
    });
  });

  it('catches truncation, and truncation below the last checkpoint with the state rewritten to match', () => {
    const cut = 90_000 - 1 - random(5_000);
    const plain = tampered((db) => db.prepare('DELETE FROM entries WHERE seq >= ?').run(cut));
    expect(verdict(plain)).toEqual({ ok: false, firstBadSeq: cut, reason: expect.stringMatching(/truncated/) });
    const covered = tampered((db) => {
      db.prepare('DELETE FROM entries WHERE seq >= ?').run(cut);
      restate(db);
    });
    expect(verdict(covered)).toEqual({
      ok: false,
      firstBadSeq: cut,
      reason: expect.stringMatching(/truncated below its checkpoint of size 90000/),
    });
  });

  it('verifies entries that leave the fast path (escapes, astral characters) and catches their edits', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path);
    const odd = [{ actor: 'user:\u{1F600}', action: 'a"b\\c\n', entity: { kind: 'change', id: 'chg_\u2028' } }];
    log.append([...sampleEntries(10), ...odd, ...sampleEntries(10, 11)]);
    expect(log.verify()).toMatchObject({ ok: true, size: 21 });
    log.close();
    tamper(path, `UPDATE entries SET entry = replace(entry, 'change', 'chang') WHERE seq = 10`);
    expect(verdict(path)).toEqual({ ok: false, firstBadSeq: 10, reason: expect.stringMatching(/leaf hash/) });
  });
});
