import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, fromHex, leafHash, openCheckpoint, parseVkey, rootOf, verifyInclusion } from '@isotyp/protocol';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Store } from '../storage/store.js';
import { appendAudit } from './audit-log.js';
import { ControlPlaneLog, logOrigin } from './control-plane-log.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function freshStore(): Promise<{ store: Store; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'isotyp-cp-log-'));
  dirs.push(dir);
  const path = join(dir, 'cp.db');
  const store = await openSqliteStore(path);
  await store.migrate();
  return { store, path };
}

async function appendMany(store: Store, n: number, orgId = 'acme'): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendAudit(store, {
      orgId,
      actor: 'user:u1',
      action: 'change.submit',
      entity: { kind: 'change', id: `c${i}` },
    });
  }
}

const publicUrl = 'https://cp.example.com:8443/base';

describe('ControlPlaneLog', () => {
  it('signs the root of every stored leaf with a key it makes once and every replica shares', async () => {
    const { store } = await freshStore();
    await appendMany(store, 13);
    const log = new ControlPlaneLog({ store, publicUrl });
    const key = await log.logKey();
    expect(key.name).toBe('isotyp.control-plane/cp.example.com:8443');
    expect(logOrigin('http://127.0.0.1:7300')).toBe('isotyp.control-plane/127.0.0.1:7300');
    const checkpoint = await log.checkpoint();
    const leaves = (await store.audit.range(0, 13)).map((r) => fromHex(r.leafHash));
    expect(checkpoint).toMatchObject({ origin: key.name, size: 13 });
    expect(fromBase64(checkpoint.root)).toEqual(rootOf(leaves));
    expect(openCheckpoint(checkpoint.note, [parseVkey(key.vkey)], key.name)).toEqual({
      origin: key.name,
      size: 13,
      root: checkpoint.root,
    });
    // Another replica (another URL even) finds the stored key, and rebuilds the same tree.
    const replica = new ControlPlaneLog({ store, publicUrl: 'https://elsewhere.example' });
    expect(await replica.logKey()).toEqual(key);
    expect(await replica.checkpoint()).toEqual(checkpoint);
    await store.close();
  });

  it('catches up with entries other replicas appended, reading only those', async () => {
    const { store } = await freshStore();
    await appendMany(store, 3);
    const log = new ControlPlaneLog({ store, publicUrl });
    expect((await log.checkpoint()).size).toBe(3);
    await appendMany(store, 5);
    let reads = 0;
    const range = store.audit.range.bind(store.audit);
    store.audit.range = (from, to) => {
      reads += to - from;
      return range(from, to);
    };
    const next = await log.checkpoint();
    expect(next.size).toBe(8);
    expect(reads).toBe(5);
    const { hashes } = await log.consistency(3, 8);
    expect(hashes.length).toBeGreaterThan(0);
    await store.close();
  });

  it('proves inclusion of its own organisation’s entries and answers 404 for another’s', async () => {
    const { store } = await freshStore();
    await appendMany(store, 4, 'acme');
    await appendMany(store, 2, 'other');
    const log = new ControlPlaneLog({ store, publicUrl });
    const checkpoint = await log.checkpoint();
    const proof = await log.inclusion('acme', 2);
    expect(proof.treeSize).toBe(6);
    const leaf = leafHash(new TextEncoder().encode(proof.entry));
    expect(verifyInclusion(2, 6, leaf, proof.hashes.map(fromHex), fromBase64(checkpoint.root))).toBe(true);
    await expect(log.inclusion('acme', 4)).rejects.toMatchObject({ code: 'ISOTYP_NOT_FOUND' });
    await expect(log.inclusion('acme', 60)).rejects.toMatchObject({ code: 'ISOTYP_NOT_FOUND' });
    await expect(log.inclusion('acme', 2, 2)).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    await expect(log.inclusion('acme', 2, 7)).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    await store.close();
  });

  it('refuses to sign over an entry edited under it (text no longer hashing to its leaf)', async () => {
    const { store, path } = await freshStore();
    await appendMany(store, 5);
    const raw = new Database(path);
    raw.exec('DROP TRIGGER audit_entries_no_update');
    raw.prepare(`UPDATE audit_entries SET entry = replace(entry, 'user:u1', 'user:eve') WHERE seq = 3`).run();
    raw.close();
    const log = new ControlPlaneLog({ store, publicUrl });
    const error = await log.checkpoint().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ISOTYP_AUDIT_TAMPERED', details: { seq: 3 } });
    // It stays refused: the tree never moves past the damage.
    await expect(log.checkpoint()).rejects.toMatchObject({ code: 'ISOTYP_AUDIT_TAMPERED' });
    await store.close();
  });
});
