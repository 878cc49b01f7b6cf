import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapOrg } from '../identity/bootstrap.js';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';

describe('user routes', () => {
  let t: IdentityApp;
  let admin: string;
  let globexAdminId: string;
  beforeAll(async () => {
    t = await identityApp();
    await t.seedProject('acme', 'shop', ['shop-prod']);
    await t.seedProject('acme', 'blog', ['blog-prod']);
    const globex = await bootstrapOrg({
      store: t.store,
      orgId: 'globex',
      orgName: 'Globex',
      adminEmail: 'admin@globex.test',
      adminPassword: 'globex admin password',
      now: t.clock.now,
    });
    globexAdminId = globex.admin.id;
    await t.seedProject('globex', 'gx', ['gx-prod']);
    admin = await t.login();
  });
  afterAll(() => t.close());

  const createUser = (body: Record<string, unknown>, token = admin) =>
    t.call('POST', '/v1/users', { token, body: { displayName: 'Someone', grants: [], ...body } });

  it('POST /v1/users creates a user who can sign in with the given grants', async () => {
    const response = await createUser({
      email: 'Ann@Acme.test',
      password: 'ann has a long password',
      grants: [{ role: 'dba', scope: { kind: 'environment', projectId: 'shop', environmentId: 'shop-prod' } }],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ email: 'ann@acme.test', orgId: 'acme', hasPassword: true, disabled: false });
    expect(response.body).not.toHaveProperty('passwordHash');
    const ann = await t.login('ann@acme.test', 'ann has a long password');
    const me = await t.call('GET', '/v1/auth/whoami', { token: ann });
    expect(me.body.grants).toEqual([
      expect.objectContaining({
        role: 'dba',
        scope: { kind: 'environment', projectId: 'shop', environmentId: 'shop-prod' },
      }),
    ]);
  });

  it('answers 409 for an email already taken in the organisation (whatever its case)', async () => {
    const response = await createUser({ email: 'ADMIN@acme.test' });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('ISOTYP_CONFLICT');
  });

  it('creates users without a password (OIDC only), who cannot sign in with one', async () => {
    const response = await createUser({ email: 'sso-only@acme.test' });
    expect(response.status).toBe(201);
    expect(response.body.hasPassword).toBe(false);
    const login = await t.call('POST', '/v1/auth/login', {
      body: { org: 'acme', email: 'sso-only@acme.test', password: 'guess guess guess' },
    });
    expect(login.status).toBe(401);
  });

  it('refuses short passwords and malformed emails with 400', async () => {
    for (const body of [
      { email: 'short@acme.test', password: 'short' },
      { email: 'not-an-email', password: 'long enough password' },
    ]) {
      const response = await createUser(body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('ISOTYP_INVALID_INPUT');
    }
  });

  it('answers 404 for grants naming another organisation’s project or environment', async () => {
    for (const scope of [
      { kind: 'project', projectId: 'gx' },
      { kind: 'environment', projectId: 'gx', environmentId: 'gx-prod' },
      { kind: 'environment', projectId: 'shop', environmentId: 'blog-prod' },
    ]) {
      const response = await createUser({
        email: `x-${scope.projectId}@acme.test`,
        grants: [{ role: 'viewer', scope }],
      });
      expect(response.status).toBe(404);
    }
    // Nothing half-created: the refused user does not exist.
    const list = await t.call('GET', '/v1/users', { token: admin });
    expect(list.body.users.map((u: { email: string }) => u.email)).not.toContain('x-gx@acme.test');
  });

  it('GET /v1/users lists this organisation’s users with their grants and no secrets', async () => {
    const response = await t.call('GET', '/v1/users', { token: admin });
    expect(response.status).toBe(200);
    const emails = response.body.users.map((u: { email: string }) => u.email);
    expect(emails).toContain('admin@acme.test');
    expect(emails).not.toContain('admin@globex.test');
    const me = response.body.users.find((u: { email: string }) => u.email === 'admin@acme.test');
    expect(me.grants).toEqual([expect.objectContaining({ role: 'admin', scope: { kind: 'org' } })]);
    expect(JSON.stringify(response.body)).not.toContain('scrypt$');
  });

  it('POST /v1/users/{id}/grants answers 404 for another organisation’s user', async () => {
    const response = await t.call('POST', `/v1/users/${globexAdminId}/grants`, {
      token: admin,
      body: { role: 'viewer', scope: { kind: 'org' } },
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('ISOTYP_NOT_FOUND');
  });

  it('lets only holders of users:manage add users, and a project admin grant only in their project', async () => {
    const created = await createUser({
      email: 'pa@acme.test',
      password: 'project admin password',
      grants: [{ role: 'admin', scope: { kind: 'project', projectId: 'blog' } }],
    });
    const target = await createUser({ email: 'target@acme.test' });
    const projectAdmin = await t.login('pa@acme.test', 'project admin password');

    expect((await createUser({ email: 'nope@acme.test' }, projectAdmin)).status).toBe(403);
    expect((await t.call('GET', '/v1/users', { token: projectAdmin })).status).toBe(403);
    const grant = (scope: unknown) =>
      t.call('POST', `/v1/users/${target.body.id}/grants`, { token: projectAdmin, body: { role: 'dba', scope } });
    expect((await grant({ kind: 'project', projectId: 'blog' })).status).toBe(201);
    expect((await grant({ kind: 'project', projectId: 'shop' })).status).toBe(403);
    expect((await grant({ kind: 'org' })).status).toBe(403);
    expect(created.status).toBe(201);
  });
});
