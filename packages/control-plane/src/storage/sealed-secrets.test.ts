import { existsSync, readFileSync } from 'node:fs';
import { isIsotypError } from '@isotyp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_PASSPHRASE, type LiveControlPlane, liveControlPlane } from '../test-support/live-control-plane.js';
import { SecretSeal } from './sealed-secrets.js';

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

    const store = cp.server.store;
    const stored = await store.webhooks.get('acme', created.id);
    expect(stored?.secret).toMatch(/^sealed:v1:/);
    const [key] = await store.signingKeys.list();
    expect(key?.privateJwk).toMatch(/^sealed:v1:/);
    const privateHalf = JSON.parse(SecretSeal.of(CA_PASSPHRASE).open(key?.privateJwk ?? '', `signing-key:${key?.kid}`));
    expect(privateHalf.d).toEqual(expect.any(String));

    // The file itself (and its write-ahead log): no secret shown once appears anywhere in it.
    const bytes = [cp.databaseFile, `${cp.databaseFile}-wal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('');
    expect(bytes).toContain(created.id);
    expect(bytes).not.toContain(created.secret);
    expect(bytes).not.toContain(privateHalf.d);
    expect(bytes).not.toContain(enrolment.token);
  });
});
