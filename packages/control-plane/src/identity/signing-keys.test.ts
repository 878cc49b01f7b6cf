import { digest } from '@isotyp/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';
import { AccessTokens } from './access-tokens.js';
import { SigningKeys } from './signing-keys.js';

const DAY_MS = 24 * 3600 * 1000;

describe('signing keys', () => {
  let t: IdentityApp;
  beforeEach(async () => {
    t = await identityApp();
  });
  afterEach(() => t.close());

  /** A second replica: its own caches, the same database. */
  const replica = () => {
    const keys = new SigningKeys({ store: t.store, now: t.clock.now });
    return { keys, tokens: new AccessTokens({ keys, config: t.config, now: t.clock.now }) };
  };
  const subject = () => ({ userId: t.admin.userId, orgId: 'acme', email: t.admin.email });

  it('makes one key on first use, even for concurrent first requests, and stores it', async () => {
    const { keys } = replica();
    const [a, b, c] = await Promise.all([keys.signingKey(), keys.signingKey(), keys.jwks()]);
    expect(a.kid).toBe(b.kid);
    expect(c.keys.map((k) => k.kid)).toEqual([a.kid]);
    expect((await t.store.signingKeys.list()).map((k) => k.kid)).toEqual([a.kid]);
  });

  it('shares keys between replicas: a token from one verifies on the other', async () => {
    const one = replica();
    const two = replica();
    const { token } = await one.tokens.issue(subject());
    await expect(two.tokens.verify(token)).resolves.toMatchObject({ userId: t.admin.userId });
    expect((await two.keys.signingKey()).kid).toBe((await one.keys.signingKey()).kid);
  });

  it('publishes public halves only, marked for EdDSA signatures', async () => {
    const { keys } = await replica().keys.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
    const response = await t.call('GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toContain('"d"');
    expect(response.body.keys[0].kid).toBe(keys[0]?.kid);
  });

  it('keeps a retired key verifying and published until its tokens have expired', async () => {
    const one = replica();
    const { token: before } = await one.tokens.issue(subject());
    const oldKid = (await one.keys.signingKey()).kid;
    const { kid: newKid } = await one.keys.rotate();
    expect(newKid).not.toBe(oldKid);
    expect((await one.keys.signingKey()).kid).toBe(newKid);
    expect((await one.keys.jwks()).keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    await expect(one.tokens.verify(before)).resolves.toMatchObject({ orgId: 'acme' });

    t.clock.advance(2 * 3600 * 1000);
    const later = replica();
    expect((await later.keys.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
  });

  it('finds a key another replica rotated in, without waiting for its cache to expire', async () => {
    const one = replica();
    const two = replica();
    await two.keys.signingKey();
    await one.keys.rotate();
    const { token } = await one.tokens.issue(subject());
    // Re-reads on an unknown kid are throttled (random kids must not hammer the database).
    t.clock.advance(3000);
    await expect(two.tokens.verify(token)).resolves.toMatchObject({ orgId: 'acme' });
  });

  it('revokes earlier keys on demand: their tokens are refused at once, on every replica', async () => {
    const one = replica();
    const two = replica();
    const { token: before } = await one.tokens.issue(subject());
    // The second replica has the old key in its cache, and verifies with it.
    await expect(two.tokens.verify(before)).resolves.toMatchObject({ orgId: 'acme' });
    const oldKid = (await one.keys.signingKey()).kid;
    const { kid: newKid } = await one.keys.rotate({ revokePrevious: true });
    // No clock advance: the key table changed, and both replicas read it again at once.
    for (const replica of [one, two]) {
      await expect(replica.tokens.verify(before)).rejects.toMatchObject({ code: 'ISOTYP_UNAUTHENTICATED' });
      expect((await replica.keys.signingKey()).kid).toBe(newKid);
      expect((await replica.keys.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
    }
    const { token: after } = await two.tokens.issue(subject());
    await expect(one.tokens.verify(after)).resolves.toMatchObject({ orgId: 'acme' });
    const stored = await t.store.signingKeys.list();
    expect(stored.find((k) => k.kid === oldKid)).toMatchObject({
      retiredAt: expect.any(String),
      revokedAt: expect.any(String),
    });
    expect(stored.find((k) => k.kid === newKid)?.revokedAt).toBeUndefined();
    // Revoking twice changes nothing.
    expect(await t.store.signingKeys.revoke(oldKid, new Date().toISOString())).toBe(false);
  });

  it('rotates by itself once the active key is 30 days old', async () => {
    const one = replica();
    const first = (await one.keys.signingKey()).kid;
    t.clock.advance(31 * DAY_MS);
    const second = (await replica().keys.signingKey()).kid;
    expect(second).not.toBe(first);
    const stored = await t.store.signingKeys.list();
    expect(stored.find((k) => k.kid === first)?.retiredAt).toBeDefined();
    expect(stored.find((k) => k.kid === second)?.retiredAt).toBeUndefined();

    // Recorded as the command's rotation is, in the organisation's log; the first key is not a rotation.
    expect(await t.store.audit.byEntity('acme', 'signing-key', first)).toEqual([]);
    const entries = await t.store.audit.byEntity('acme', 'signing-key', second);
    expect(entries.map((e) => e.action)).toEqual(['server.signing-key.rotate']);
    const entry = JSON.parse(entries[0]?.entry ?? '{}');
    expect(entry).toMatchObject({ actor: 'system', org: 'acme', entity: { kind: 'signing-key', id: second } });
    expect(entry.detailsDigest).toBe(
      digest('audit-entry', { kid: second, retired: [first], revoked: [], reason: 'scheduled' }),
    );
  });
});
