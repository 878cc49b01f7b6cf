import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePublicKey, IsotypError, keyId, sign, verify } from '@isotyp/protocol';
import { describe, expect, it } from 'vitest';
import { createKey, FileSecretStore, loadKey, requireKey } from './keystore.js';

const storeIn = () => new FileSecretStore(join(mkdtempSync(join(tmpdir(), 'isotyp-keys-')), 'keys'));

async function rejection(promise: Promise<unknown>): Promise<IsotypError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IsotypError) return error;
    throw error;
  }
  throw new Error('expected an IsotypError');
}

describe('FileSecretStore', () => {
  it('keeps keys/<name>.key at 0600 in a 0700 directory, as JSON {keyId, publicKey, seed}', async () => {
    const store = storeIn();
    const key = await createKey(store, 'approver', { force: false });
    const path = store.pathOf('approver');
    expect(path).toBe(join(store.dir, 'approver.key'));
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(stored).sort()).toEqual(['keyId', 'publicKey', 'seed']);
    expect(stored.keyId).toBe(key.keyId);
    expect(keyId(decodePublicKey(stored.publicKey))).toBe(key.keyId);
    expect(stored.seed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readdirSync(store.dir)).toEqual(['approver.key']);
  });

  it('loads the same key back: a signature made with it verifies under the stored public key', async () => {
    const store = storeIn();
    const created = await createKey(store, 'org-root', { force: false });
    const loaded = await requireKey(store, 'org-root');
    expect(loaded.keyId).toBe(created.keyId);
    const message = new TextEncoder().encode('approve chg_1');
    expect(verify(message, sign(message, loaded.pair.secretKey), decodePublicKey(created.publicKey))).toBe(true);
  });

  it('refuses to overwrite without force, and keeps the old key', async () => {
    const store = storeIn();
    const first = await createKey(store, 'approver', { force: false });
    const error = await rejection(createKey(store, 'approver', { force: false }));
    expect(error.code).toBe('ISOTYP_CONFLICT');
    expect(error.hint).toContain('--force');
    expect((await loadKey(store, 'approver'))?.keyId).toBe(first.keyId);
    expect(readdirSync(store.dir)).toEqual(['approver.key']);

    const second = await createKey(store, 'approver', { force: true });
    expect(second.keyId).not.toBe(first.keyId);
    expect((await loadKey(store, 'approver'))?.keyId).toBe(second.keyId);
    expect(statSync(store.pathOf('approver')).mode & 0o777).toBe(0o600);
  });

  it('refuses a key file others can read', async () => {
    const store = storeIn();
    await createKey(store, 'approver', { force: false });
    chmodSync(store.pathOf('approver'), 0o644);
    const error = await rejection(loadKey(store, 'approver'));
    expect(error.code).toBe('ISOTYP_KEY_INVALID');
    expect(error.hint).toContain('chmod 600');
  });

  it('refuses a damaged or mismatched key without echoing the seed', async () => {
    const store = storeIn();
    await createKey(store, 'approver', { force: false });
    const path = store.pathOf('approver');
    const stored = JSON.parse(readFileSync(path, 'utf8'));
    const other = await createKey(storeIn(), 'approver', { force: false });
    writeFileSync(path, JSON.stringify({ ...stored, keyId: other.keyId }), { mode: 0o600 });
    const mismatch = await rejection(loadKey(store, 'approver'));
    expect(mismatch.code).toBe('ISOTYP_KEY_INVALID');
    expect(JSON.stringify(mismatch.toJSON())).not.toContain(stored.seed);

    writeFileSync(path, `{"seed": "${stored.seed}", "oops": 1}`, { mode: 0o600 });
    const damaged = await rejection(loadKey(store, 'approver'));
    expect(damaged.code).toBe('ISOTYP_KEY_INVALID');
    expect(JSON.stringify(damaged.toJSON())).not.toContain(stored.seed);
  });

  it('deletes keys and reports a missing one with the command that creates it', async () => {
    const store = storeIn();
    await createKey(store, 'approver', { force: false });
    expect(await store.delete('approver')).toBe(true);
    expect(await store.delete('approver')).toBe(false);
    expect(await loadKey(store, 'approver')).toBeUndefined();
    const error = await rejection(requireKey(store, 'approver'));
    expect(error.code).toBe('ISOTYP_KEY_UNKNOWN');
    expect(error.hint).toContain('isotyp keys generate');
  });
});
