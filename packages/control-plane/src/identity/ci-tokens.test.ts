import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../context.js';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';
import { can } from './rbac.js';

describe('CI tokens', () => {
  let t: IdentityApp;
  beforeAll(async () => {
    t = await identityApp();
    await t.seedProject('acme', 'shop', ['shop-staging', 'shop-prod']);
    await t.seedProject('acme', 'blog', ['blog-prod']);
  });
  afterAll(() => t.close());

  const create = (
    overrides: { environmentId?: string; actions?: ('submit' | 'apply' | 'read')[]; days?: number } = {},
  ) =>
    t.identity.ciTokens.create({
      orgId: 'acme',
      name: 'deploy',
      projectId: 'shop',
      environmentId: overrides.environmentId ?? 'shop-staging',
      actions: overrides.actions ?? ['apply'],
      createdBy: t.admin.userId,
      ...(overrides.days === undefined ? {} : { expiresInDays: overrides.days }),
    });

  const principalOf = async (token: string): Promise<Principal> => {
    const response = await t.call('GET', '/v1/auth/whoami', { token });
    expect(response.status).toBe(200);
    const { orgId, ci } = response.body;
    return { kind: 'ci', orgId, ...ci };
  };

  it('have the form isotyp_ci_<id>_<secret> and store only the SHA-256 of the secret', async () => {
    const { record, token } = await create();
    const match = /^isotyp_ci_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    expect(match?.[1]).toBe(record.id);
    const stored = await t.store.ciTokens.get('acme', record.id);
    expect(stored?.secretHash).toBe(
      createHash('sha256')
        .update(match?.[2] ?? '')
        .digest('hex'),
    );
    expect(JSON.stringify(stored)).not.toContain(match?.[2]);
    await expect(t.identity.ciTokens.verify(token)).resolves.toMatchObject({ id: record.id });
  });

  it('refuse a wrong secret, an unknown id and malformed tokens', async () => {
    const { token } = await create();
    const wrongSecret = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = `isotyp_ci_zzzzzzzzzzzz_${token.slice(-43)}`;
    for (const bad of [wrongSecret, unknownId, 'isotyp_ci_', `${token}A`, token.replace('_', '-')]) {
      await expect(t.identity.ciTokens.verify(bad)).rejects.toMatchObject({ code: 'ISOTYP_UNAUTHENTICATED' });
    }
  });

  it('stop working once revoked or expired', async () => {
    const revoked = await create();
    await t.store.ciTokens.revoke('acme', revoked.record.id, t.clock.now().toISOString());
    await expect(t.identity.ciTokens.verify(revoked.token)).rejects.toMatchObject({ code: 'ISOTYP_UNAUTHENTICATED' });

    const shortLived = await create({ days: 1 });
    await expect(t.identity.ciTokens.verify(shortLived.token)).resolves.toBeDefined();
    t.clock.advance(25 * 3600 * 1000);
    try {
      const response = await t.call('GET', '/v1/auth/whoami', { token: shortLived.token });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('ISOTYP_TOKEN_EXPIRED');
    } finally {
      t.clock.advance(-25 * 3600 * 1000);
    }
  });

  it('record lastUsedAt, but not on every request', async () => {
    const { record, token } = await create();
    await t.identity.ciTokens.verify(token);
    const first = (await t.store.ciTokens.get('acme', record.id))?.lastUsedAt;
    expect(first).toBe(t.clock.now().toISOString());
    t.clock.advance(60_000);
    await t.identity.ciTokens.verify(token);
    expect((await t.store.ciTokens.get('acme', record.id))?.lastUsedAt).toBe(first);
    t.clock.advance(5 * 60_000);
    await t.identity.ciTokens.verify(token);
    expect((await t.store.ciTokens.get('acme', record.id))?.lastUsedAt).toBe(t.clock.now().toISOString());
  });

  it('act only in their own environment and only with their actions', async () => {
    const { token } = await create({ environmentId: 'shop-staging', actions: ['apply'] });
    const ci = await principalOf(token);
    expect(ci).toMatchObject({ kind: 'ci', orgId: 'acme', projectId: 'shop', environmentId: 'shop-staging' });
    expect(can(ci, 'change:apply', { projectId: 'shop', environmentId: 'shop-staging' })).toBe(true);
    expect(can(ci, 'change:apply', { projectId: 'shop', environmentId: 'shop-prod' })).toBe(false);
    expect(can(ci, 'change:apply', { projectId: 'blog', environmentId: 'blog-prod' })).toBe(false);
    expect(can(ci, 'change:submit', { projectId: 'shop', environmentId: 'shop-staging' })).toBe(false);
    expect(can(ci, 'tokens:manage', { projectId: 'shop', environmentId: 'shop-staging' })).toBe(false);

    const readOnly = await principalOf((await create({ actions: ['read'] })).token);
    expect(can(readOnly, 'change:read', { projectId: 'shop', environmentId: 'shop-staging' })).toBe(true);
    expect(can(readOnly, 'change:apply', { projectId: 'shop', environmentId: 'shop-staging' })).toBe(false);
  });

  it('cannot manage tokens, even in their own environment', async () => {
    const { token } = await create({ actions: ['submit', 'apply', 'read'] });
    const response = await t.call('POST', '/v1/tokens', {
      token,
      body: { name: 'escalate', projectId: 'shop', environmentId: 'shop-staging', actions: ['apply'] },
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('ISOTYP_FORBIDDEN');
  });
});
