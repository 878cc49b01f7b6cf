import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { bytesEqual, digest, leafHash, rootOf, verifyInclusion } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openAuditLog } from './audit-log.js';
import { sampleEntries, tempAuditPath } from './test-support.js';

const fixed = () => new Date('2026-11-26T14:29:56.123Z');

function allLeaves(path: string): Uint8Array[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM entries ORDER BY seq').pluck().all() as string[]).map((text) =>
      leafHash(new TextEncoder().encode(text)),
    );
  } finally {
    db.close();
  }
}

describe('AuditLog', () => {
  it('appends, verifies, and stores only the digest of details', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path, { clock: fixed });
    expect(log.verify()).toEqual({ ok: true, size: 0, root: rootOf([]) });
    expect(log.append(sampleEntries(3))).toEqual([0, 1, 2]);
    expect(log.append(sampleEntries(2, 3))).toEqual([3, 4]);
    const result = log.verify();
    expect(result).toEqual({ ok: true, size: 5, root: rootOf(allLeaves(path)) });
    const [first] = log.history('change', 'chg_0');
    expect(first).toEqual({
      seq: 0,
      time: '2026-11-26T14:29:56.123Z',
      actor: 'user:u0',
      action: 'apply',
      entity: { kind: 'change', id: 'chg_0' },
      detailsDigest: digest('audit-entry', { n: 0, secret: 'never-stored' }),
    });
    const raw = new Database(path, { readonly: true });
    expect((raw.prepare('SELECT group_concat(entry) FROM entries').pluck().get() as string).includes('never')).toBe(
      false,
    );
    raw.close();
    log.close();
  });

  it('creates the file 0600 in a 0700 directory', () => {
    const path = tempAuditPath();
    openAuditLog(path).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
  });

  it('refuses UPDATE and DELETE through its triggers', () => {
    const path = tempAuditPath();
    openAuditLog(path).append(sampleEntries(2));
    const raw = new Database(path);
    expect(() => raw.exec("UPDATE entries SET entry = 'x' WHERE seq = 0")).toThrow(/append-only/);
    expect(() => raw.exec('DELETE FROM entries WHERE seq = 1')).toThrow(/append-only/);
    raw.close();
  });

  it('resumes the compact range after reopening, and the root equals rootOf over all leaves', () => {
    const path = tempAuditPath();
    for (let round = 0; round < 4; round++) {
      const log = openAuditLog(path);
      log.append(sampleEntries(37, round * 37));
      log.close();
    }
    const log = openAuditLog(path);
    const result = log.verify();
    expect(result).toEqual({ ok: true, size: 148, root: rootOf(allLeaves(path)) });
    log.close();
  });

  it('proves inclusion of every entry against the current root', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path);
    log.append(sampleEntries(21));
    for (let seq = 0; seq < 21; seq++) {
      const p = log.proof(seq);
      expect(p.entry.seq).toBe(seq);
      expect(verifyInclusion(seq, p.size, p.leaf, p.proof, p.root)).toBe(true);
      expect(verifyInclusion(seq, p.size, leafHash(Uint8Array.of(1)), p.proof, p.root)).toBe(false);
    }
    expect(() => log.proof(21)).toThrow(/No audit entry 21/);
    log.close();
  });

  it('lists newest first, filters by entity, and tells an entity\u2019s history oldest first', () => {
    const log = openAuditLog(tempAuditPath());
    log.append(sampleEntries(12));
    expect(log.list({ limit: 3 }).map((e) => e.seq)).toEqual([11, 10, 9]);
    expect(log.list({ entity: { kind: 'change', id: 'chg_1' } }).map((e) => e.seq)).toEqual([11, 6, 1]);
    expect(log.history('change', 'chg_2').map((e) => e.seq)).toEqual([2, 7]);
    expect(log.history('change', 'nope')).toEqual([]);
    expect(() => log.list({ limit: 0 })).toThrow(/limit/);
    log.close();
  });

  it('appends a batch of 20,000 in one call and verifies it', () => {
    const path = tempAuditPath();
    const log = openAuditLog(path);
    const seqs = log.append(sampleEntries(20_000));
    expect(seqs.at(-1)).toBe(19_999);
    const result = log.verify();
    expect(result.ok && result.size).toBe(20_000);
    expect(result.ok && bytesEqual(result.root, rootOf(allLeaves(path)))).toBe(true);
    log.close();
  });

  it('rejects a whole batch when one entry is invalid', () => {
    const log = openAuditLog(tempAuditPath());
    expect(() => log.append([...sampleEntries(2), { actor: '', action: 'x', entity: { kind: 'k', id: 'i' } }])).toThrow(
      /actor/,
    );
    expect(log.size).toBe(0);
    log.close();
  });
});
