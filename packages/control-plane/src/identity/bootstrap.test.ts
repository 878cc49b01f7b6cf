import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';
import { bootstrapOrg } from './bootstrap.js';
import { verifyPassword } from './passwords.js';

describe('bootstrapOrg', () => {
  let t: IdentityApp;
  beforeAll(async () => {
    t = await identityApp();
  });
  afterAll(() => t.close());

  const input = (overrides: Partial<Parameters<typeof bootstrapOrg>[0]> = {}) => ({
    store: t.store,
    orgId: 'initech',
    orgName: 'Initech',
    adminEmail: ' Boss@Initech.test',
    adminPassword: 'initech admin password',
    now: t.clock.now,
    ...overrides,
  });

  it('creates the organisation and an org-wide admin who can sign in', async () => {
    const { org, admin, grant } = await bootstrapOrg(input());
    expect(await t.store.orgs.get('initech')).toEqual(org);
    expect(admin.email).toBe('boss@initech.test');
    expect(await verifyPassword('initech admin password', admin.passwordHash)).toBe(true);
    expect(await t.store.grants.forUser('initech', admin.id)).toEqual([grant]);
    expect(grant).toMatchObject({ role: 'admin', scope: { kind: 'org' } });
    const token = await t.login('boss@initech.test', 'initech admin password', 'initech');
    expect((await t.call('GET', '/v1/users', { token })).status).toBe(200);
  });

  it('refuses to run twice for one organisation, adding no second admin', async () => {
    await expect(bootstrapOrg(input({ adminEmail: 'intruder@initech.test' }))).rejects.toMatchObject({
      code: 'ISOTYP_CONFLICT',
    });
    expect((await t.store.users.list('initech')).map((u) => u.email)).toEqual(['boss@initech.test']);
  });

  it('refuses a bad organisation id or a short password before writing anything', async () => {
    await expect(bootstrapOrg(input({ orgId: 'has space' }))).rejects.toMatchObject({ code: 'ISOTYP_INVALID_INPUT' });
    await expect(bootstrapOrg(input({ orgId: 'fresh', adminPassword: 'short' }))).rejects.toMatchObject({
      code: 'ISOTYP_INVALID_INPUT',
    });
    expect(await t.store.orgs.get('fresh')).toBeUndefined();
  });
});
