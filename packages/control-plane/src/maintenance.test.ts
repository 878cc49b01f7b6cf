import { afterAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../../scripts/test-support/postgres.js';
import { CertificateAuthority } from './agents/certificate-authority.js';
import { defaultConfig, resolveConfig } from './config.js';
import { createLogger } from './logger.js';
import { runControlPlane } from './main.js';
import { checkPassphrase, rotatePassphrase } from './maintenance.js';
import { openStore } from './storage/open-store.js';
import { storedSecrets } from './storage/sealed-secrets.js';
import { CA_PASSPHRASE, type LiveControlPlane, liveControlPlane } from './test-support/live-control-plane.js';

const NEW_PASSPHRASE = 'the-new-server-passphrase-7d41c0';

/** What the database holds under the passphrase: each CA key and sealed value, as stored. */
async function atRest(database: string): Promise<{ authorities: string[]; secrets: string[] }> {
  const store = await openStore(database);
  try {
    const authorities = await store.authorities.list();
    const secrets: string[] = [];
    for await (const secret of storedSecrets(store, { answers: true })) secrets.push(secret.stored);
    return { authorities: authorities.map((ca) => ca.encryptedKeyPem), secrets };
  } finally {
    await store.close();
  }
}

function start(database: string, caPassphrase: string) {
  const config = resolveConfig({
    database,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://127.0.0.1:7300',
    caPassphrase,
    latencyBudgetMs: 0,
    webhooks: { ...defaultConfig.webhooks, allowHttp: true },
  });
  return runControlPlane({ config, logger: createLogger({ level: 'silent' }) });
}

describe.each([
  ['SQLite', async () => undefined],
  ['PostgreSQL', async () => (await tempDatabase()).url],
])('a new server passphrase on %s', (_name, database) => {
  const opened: LiveControlPlane[] = [];
  afterAll(async () => {
    for (const cp of opened) await cp.close();
  });

  it('moves every protected value in one go, only with no control plane running, and the old one stops working', async () => {
    const url = await database();
    const cp = await liveControlPlane(url, { webhooks: { allowHttp: true } });
    opened.push(cp);
    const db = url ?? `sqlite:${cp.databaseFile}`;
    const admin = await cp.login('admin@acme.test');
    const hook = { token: admin, body: { url: 'http://127.0.0.1:9/hook', events: ['change.*'] } };
    const created = await cp.ok('POST', '/v1/webhooks', { ...hook, idempotencyKey: 'hook-1' });
    const logKey = await cp.ok('GET', '/v1/audit/log-key', { token: admin });
    // Enrolling an agent makes the CA; the token is in the request's stored answer.
    await cp.ok('POST', '/v1/agents/enrolment-tokens', { token: admin, body: { name: 'edge-1' } });
    const ca = await cp.server.store.authorities.active();

    // A running control plane holds what it opened under the old passphrase: refused, untouched.
    const before = await atRest(db);
    await expect(rotatePassphrase(db, CA_PASSPHRASE, NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'ISOTYP_CONFLICT',
      hint: expect.stringContaining('Stop every control plane'),
    });
    await cp.server.close();
    expect(await atRest(db)).toEqual(before);

    // A current passphrase that opens nothing, or an unusable new one: refused, nothing changed.
    await expect(rotatePassphrase(db, 'not-the-passphrase-at-all', NEW_PASSPHRASE)).rejects.toMatchObject({
      code: 'ISOTYP_CONFIG_INVALID',
    });
    await expect(rotatePassphrase(db, CA_PASSPHRASE, 'too-short')).rejects.toMatchObject({ code: 'ISOTYP_USAGE' });
    await expect(rotatePassphrase(db, CA_PASSPHRASE, CA_PASSPHRASE)).rejects.toMatchObject({ code: 'ISOTYP_USAGE' });
    expect(await atRest(db)).toEqual(before);

    // The CA key; the signing key, the webhook secret, the log key and two stored answers.
    const moved = await rotatePassphrase(db, CA_PASSPHRASE, NEW_PASSPHRASE);
    expect(moved).toEqual({ authorities: 1, secrets: 5 });
    expect(before.authorities).toHaveLength(1);
    expect(before.secrets).toHaveLength(5);
    const after = await atRest(db);
    for (const kind of ['authorities', 'secrets'] as const) {
      expect(after[kind]).toHaveLength(before[kind].length);
      for (const [index, value] of after[kind].entries()) expect(value).not.toBe(before[kind][index]);
    }
    await expect(checkPassphrase(db, NEW_PASSPHRASE)).resolves.toBeUndefined();
    await expect(checkPassphrase(db, CA_PASSPHRASE)).rejects.toMatchObject({ code: 'ISOTYP_CONFIG_INVALID' });

    // The old passphrase no longer starts a control plane; the new one does, with the same keys.
    await expect(start(db, CA_PASSPHRASE)).rejects.toMatchObject({ code: 'ISOTYP_CONFIG_INVALID' });
    const running = await start(db, NEW_PASSPHRASE);
    try {
      const call = async (method: string, path: string, idempotencyKey?: string) => {
        const response = await fetch(`${running.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${admin}`,
            'content-type': 'application/json',
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
          ...(method === 'POST' ? { body: JSON.stringify(hook.body) } : {}),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      // A session signed before still verifies: the signing key is the same key.
      expect((await call('GET', '/v1/auth/whoami')).status).toBe(200);
      // The stored answer of the retried write opens, secret and all.
      const replayed = await call('POST', '/v1/webhooks', 'hook-1');
      expect(replayed).toMatchObject({ status: 201, body: { id: created.id, secret: created.secret } });
      // The log signs with the key agents pinned.
      expect((await call('GET', '/v1/audit/log-key')).body).toEqual(logKey);
      const checkpoint = await call('GET', '/v1/audit/checkpoint');
      expect(checkpoint.status).toBe(200);
      // The rotation is in the organisation's log, and in the checkpoint the log signs.
      const story = await call('GET', '/v1/audit/entries?entity=server:passphrase');
      expect(story.body.entries).toEqual([
        expect.objectContaining({ action: 'server.passphrase.rotate', actor: 'system' }),
      ]);
      const [entry] = story.body.entries as { seq: number }[];
      expect(checkpoint.body.size).toBeGreaterThan(entry?.seq ?? Number.POSITIVE_INFINITY);
      // The agent CA is the same CA, its key now opened by the new passphrase.
      const authority = await CertificateAuthority.open(running.store, NEW_PASSPHRASE, new Date());
      expect(authority.certificatePem).toBe(ca?.certificatePem);
    } finally {
      await running.close();
    }
  });
});

/**
 * A throwaway 512-bit RSA key (made for this test only), encrypted by node-forge under
 * 'right-passphrase-123'. Under 'wrong-57-passphrase' it decrypts to bytes that fail to parse (forge
 * throws "Only 8, 16, 24, or 32 bits supported: 224") rather than to null, as some wrong passphrases do.
 */
const ENCRYPTED_KEY = [
  '-----BEGIN ENCRYPTED PRIVATE KEY-----',
  'MIIBrzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQIbpIcsmgYNv4CAggA',
  'MB0GCWCGSAFlAwQBKgQQEI57CTwn/pZvzmvpASkdswSCAWDuC6Mizb0f3OYRkqX2',
  'EIT0RqNBH2slrjXBJvtbU/vwPezP9RVJKZ2wLRO+y2BYOn3n/m5/Kecb4PEkZp68',
  'JhA7WZIDBUKwbR/5xyI2OfNG/eU2PaItRpeND3BbT3X3qPQbwBuOZPcCbms9Z0DU',
  'xUX6NZPYgR57u24yeAPi7X1PbqxXaBCQhBV0Apk3F2DOoZdV5cM3kXxYN3zq0j+j',
  'DxCsdiUlsbRv/5LMIJzYCKanZ4PKbVnpnMPgsYRd2aQPThSvvQK7c9pBDYh+0sZY',
  'FRYDXPAMov8dyBcfDLFd9JwB/hTgkSuCn+IO5nCk81cSLpLdhzkBd/XvJ31Ce/SV',
  '0rqqhp8QYv/aV0BWCDnekqiDMqzUaQq/tYcpQJnTzwz+qLlPdPpUBepN/YC+m/Zb',
  'JjSxbBz6m1cK1BjhTrZsEe5mZkLglBBmCl/H9oIMRz99RGkrGtfmP9zrK1VVAxly',
  'zP+6',
  '-----END ENCRYPTED PRIVATE KEY-----',
].join('\r\n');

describe('a CA key under a wrong passphrase', () => {
  it('is ISOTYP_CONFIG_INVALID however the decryption fails', () => {
    const moved = CertificateAuthority.reencryptKey(ENCRYPTED_KEY, 'right-passphrase-123', NEW_PASSPHRASE);
    expect(CertificateAuthority.reencryptKey(moved, NEW_PASSPHRASE, NEW_PASSPHRASE)).toContain('ENCRYPTED PRIVATE KEY');
    for (const wrong of ['wrong-57-passphrase', 'wrong-0-passphrase']) {
      expect(() => CertificateAuthority.reencryptKey(ENCRYPTED_KEY, wrong, NEW_PASSPHRASE)).toThrow(
        expect.objectContaining({ code: 'ISOTYP_CONFIG_INVALID' }),
      );
    }
  });
});
