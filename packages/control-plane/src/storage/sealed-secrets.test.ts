import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, isIsotypError, SEED_BYTES, toBase64, toBase64Url } from '@isotyp/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { bootstrapOrg } from '../identity/bootstrap.js';
import { SigningKeys } from '../identity/signing-keys.js';
import { runControlPlane } from '../main.js';
import {
  ADMIN_PASSWORD,
  CA_PASSPHRASE,
  type LiveControlPlane,
  liveControlPlane,
} from '../test-support/live-control-plane.js';
import { LOG_KEY_CONTEXT, SecretSeal, sealStoredSecrets, storedSecrets } from './sealed-secrets.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

function refusal(work: () => unknown): { code: string; hint: string | undefined } {
  try {
    work();
  } catch (error) {
    if (isIsotypError(error)) return { code: error.code, hint: error.hint };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('SecretSeal', () => {
  const seal = SecretSeal.of('a-server-passphrase-of-some-length');

  it('seals a value so that only the same passphrase and context open it', () => {
    const stored = seal.seal('whsec_abc', 'webhook:whk_1');
    expect(stored).toMatch(/^sealed:v1:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain('whsec_abc');
    // A fresh nonce each time: two seals of one value differ.
    expect(seal.seal('whsec_abc', 'webhook:whk_1')).not.toBe(stored);
    expect(seal.open(stored, 'webhook:whk_1')).toBe('whsec_abc');

    // Copied onto another row, or opened with another passphrase: refused with a code and a hint.
    expect(refusal(() => seal.open(stored, 'webhook:whk_2'))).toMatchObject({ code: 'ISOTYP_CONFIG_INVALID' });
    const other = refusal(() => SecretSeal.of('another-passphrase-entirely').open(stored, 'webhook:whk_1'));
    expect(other.code).toBe('ISOTYP_CONFIG_INVALID');
    expect(other.hint).toContain('ISOTYP_CA_PASSPHRASE');
    // A flipped byte fails authentication rather than opening to something else.
    const tampered = `${stored.slice(0, -2)}${stored.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(refusal(() => seal.open(tampered, 'webhook:whk_1')).code).toBe('ISOTYP_CONFIG_INVALID');
  });

  it('passes values stored before sealing through, and keeps values as they are without a passphrase', () => {
    expect(seal.open('whsec_written_earlier', 'webhook:whk_1')).toBe('whsec_written_earlier');
    const none = SecretSeal.of(undefined);
    expect(none.sealing).toBe(false);
    expect(none.seal('whsec_abc', 'webhook:whk_1')).toBe('whsec_abc');
    expect(refusal(() => none.open(seal.seal('x', 'webhook:whk_1'), 'webhook:whk_1')).code).toBe(
      'ISOTYP_CONFIG_INVALID',
    );
  });
});

describe('the control plane at rest', () => {
  let cp: LiveControlPlane;
  beforeAll(async () => {
    cp = await liveControlPlane(undefined, { webhooks: { allowHttp: true } });
  });
  afterAll(() => cp?.close());

  it('keeps no usable signing key or webhook secret in its database file', async () => {
    const admin = await cp.login('admin@acme.test');
    const hook = { token: admin, body: { url: 'http://127.0.0.1:9/hook', events: ['change.*'] } };
    const created = await cp.ok('POST', '/v1/webhooks', { ...hook, idempotencyKey: 'hook-1' });
    expect(created.secret).toMatch(/^whsec_/);
    // Its answer is stored sealed for retries, and a retry still gets the secret back whole.
    const replayed = await cp.call('POST', '/v1/webhooks', { ...hook, idempotencyKey: 'hook-1' });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.secret).toBe(created.secret);
    const enrolment = await cp.ok('POST', '/v1/agents/enrolment-tokens', { token: admin, body: { name: 'edge-1' } });
    expect(enrolment.token).toEqual(expect.any(String));
    // The first checkpoint makes the audit log's key.
    await cp.ok('GET', '/v1/audit/checkpoint', { token: admin });

    const store = cp.server.store;
    const stored = await store.webhooks.get('acme', created.id);
    expect(stored?.secret).toMatch(/^sealed:v1:/);
    const [key] = await store.signingKeys.list();
    expect(key?.privateJwk).toMatch(/^sealed:v1:/);
    const privateHalf = JSON.parse(SecretSeal.of(CA_PASSPHRASE).open(key?.privateJwk ?? '', `signing-key:${key?.kid}`));
    expect(privateHalf.d).toEqual(expect.any(String));
    const logKey = await store.audit.logKey();
    expect(logKey?.seed).toMatch(/^sealed:v1:/);
    const logSeed = SecretSeal.of(CA_PASSPHRASE).open(logKey?.seed ?? '', LOG_KEY_CONTEXT);
    expect(logSeed).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The file itself (and its write-ahead log): no secret shown once appears anywhere in it.
    const bytes = [cp.databaseFile, `${cp.databaseFile}-wal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('');
    expect(bytes).toContain(created.id);
    expect(bytes).not.toContain(created.secret);
    expect(bytes).not.toContain(privateHalf.d);
    expect(bytes).not.toContain(logSeed);
    expect(bytes).not.toContain(enrolment.token);
  });
});

describe('the stored secrets', () => {
  it('come a page at a time, every stored answer included, however many there are', async () => {
    const store = await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'isotyp-sealing-')), 'cp.db'));
    try {
      await store.migrate();
      const now = new Date().toISOString();
      for (let i = 0; i < 1001; i++) {
        const key = `key-${String(i).padStart(4, '0')}`;
        await store.idempotency.claim('usr_1', key, 'hash', now);
        await store.idempotency.complete('usr_1', key, 201, `answer ${i}`);
      }
      const contexts: string[] = [];
      for await (const secret of storedSecrets(store, { answers: true })) contexts.push(secret.context);
      expect(contexts).toHaveLength(1001);
      expect(new Set(contexts).size).toBe(1001);
      expect(contexts[1000]).toBe('idempotency:usr_1:key-1000');
      // Without `answers`, none of them.
      for await (const secret of storedSecrets(store)) expect(secret.context).not.toMatch(/^idempotency:/);
    } finally {
      await store.close();
    }
  });
});

describe('a database written before sealing', () => {
  it('is sealed at the next start with a passphrase, and its keys still sign people in', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'isotyp-sealing-')), 'cp.db');
    const before = await openSqliteStore(file);
    await before.migrate();
    await bootstrapOrg({
      store: before,
      orgId: 'acme',
      orgName: 'Acme',
      adminEmail: 'admin@acme.test',
      adminPassword: ADMIN_PASSWORD,
    });
    // What an earlier version wrote: a signing key and a webhook secret in the clear.
    const { kid } = await new SigningKeys({ store: before, now: () => new Date() }).rotate();
    await before.webhooks.create({
      id: 'whk_old',
      orgId: 'acme',
      url: 'https://hooks.example.com/isotyp',
      secret: 'whsec_kept_in_the_clear',
      events: ['*'],
      createdBy: 'system',
      createdAt: new Date().toISOString(),
    });
    // And the audit log's key, its seed in the clear.
    const pair = generateKeyPair();
    const logKey = await before.audit.initLogKey({
      id: 'audit-log',
      name: 'isotyp.control-plane/127.0.0.1:7300',
      publicKey: toBase64Url(pair.publicKey),
      seed: toBase64Url(pair.secretKey.subarray(0, SEED_BYTES)),
      createdAt: new Date().toISOString(),
    });
    await before.close();

    const config = (caPassphrase: string) =>
      resolveConfig({
        database: `sqlite:${file}`,
        port: 0,
        host: '127.0.0.1',
        publicUrl: 'http://127.0.0.1:7300',
        caPassphrase,
      });
    const running = await runControlPlane({ config: config(CA_PASSPHRASE), logger: pino({ level: 'silent' }) });
    try {
      const seal = SecretSeal.of(CA_PASSPHRASE);
      const [key] = await running.store.signingKeys.list();
      expect(key?.kid).toBe(kid);
      expect(key?.privateJwk).toMatch(/^sealed:v1:/);
      const hook = await running.store.webhooks.get('acme', 'whk_old');
      expect(hook?.secret).toMatch(/^sealed:v1:/);
      expect(seal.open(hook?.secret ?? '', 'webhook:whk_old')).toBe('whsec_kept_in_the_clear');
      // The resealed key signs a session that the API accepts.
      const login = await fetch(`${running.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ org: 'acme', email: 'admin@acme.test', password: ADMIN_PASSWORD }),
      });
      expect(login.status).toBe(200);
      const { accessToken } = (await login.json()) as { accessToken: string };
      const whoami = await fetch(`${running.url}/v1/auth/whoami`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(whoami.status).toBe(200);
      // The log key is sealed, and still the key the log signs with.
      const sealedLogKey = await running.store.audit.logKey();
      expect(sealedLogKey?.seed).toMatch(/^sealed:v1:/);
      expect(seal.open(sealedLogKey?.seed ?? '', LOG_KEY_CONTEXT)).toBe(logKey.seed);
      const published = await fetch(`${running.url}/v1/audit/log-key`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(await published.json()).toMatchObject({ publicKey: toBase64(pair.publicKey) });
      // Nothing left to seal the second time; another passphrase is refused before anything runs.
      expect(await sealStoredSecrets(running.store, seal)).toBe(0);
      await expect(sealStoredSecrets(running.store, SecretSeal.of('another-passphrase-0123'))).rejects.toMatchObject({
        code: 'ISOTYP_CONFIG_INVALID',
      });
    } finally {
      await running.close();
    }
    await expect(
      runControlPlane({ config: config('another-passphrase-0123'), logger: pino({ level: 'silent' }) }),
    ).rejects.toMatchObject({ code: 'ISOTYP_CONFIG_INVALID' });
  });
});
