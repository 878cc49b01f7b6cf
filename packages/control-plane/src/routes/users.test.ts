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

  it('keeps one grant of a role at a scope: granting it again answers the grant held, and records nothing', async () => {
    const scope = { kind: 'environment', projectId: 'shop', environmentId: 'shop-prod' };
    const twice = await createUser({
      email: 'twice@acme.test',
      grants: [
        { role: 'dba', scope },
        { role: 'dba', scope: { environmentId: 'shop-prod', projectId: 'shop', kind: 'environment' } },
      ],
    });
    expect(twice.status).toBe(201);
    expect(twice.body.grants).toHaveLength(1);
    const grant = () =>
      t.call('POST', `/v1/users/${twice.body.id}/grants`, { token: admin, body: { role: 'dba', scope } });
    const again = await grant();
    expect(again.status).toBe(200);
    expect(again.body).toEqual(twice.body.grants[0]);
    const added = await t.call('POST', `/v1/users/${twice.body.id}/grants`, {
      token: admin,
      body: { role: 'dba', scope: { kind: 'project', projectId: 'shop' } },
    });
    expect(added.status).toBe(201);
    expect((await grant()).status).toBe(200);
    expect((await t.store.grants.forUser('acme', twice.body.id)).map((g) => g.scope.kind).sort()).toEqual([
      'environment',
      'project',
    ]);
    const story = await t.store.audit.byEntity('acme', 'user', twice.body.id, { limit: 10 });
    expect(story.map((e) => e.action).sort()).toEqual(['user.create', 'user.grant']);
  });

  it('DELETE /v1/users/{id}/grants/{grantId} takes a role away at once, at the grant’s scope only', async () => {
    const bob = await createUser({
      email: 'bob@acme.test',
      password: 'bob has a long password',
      grants: [
        { role: 'dba', scope: { kind: 'project', projectId: 'shop' } },
        { role: 'dba', scope: { kind: 'project', projectId: 'blog' } },
      ],
    });
    const [shopGrant, blogGrant] = bob.body.grants as { id: string }[];
    const bobToken = await t.login('bob@acme.test', 'bob has a long password');
    const roles = async () => (await t.call('GET', '/v1/auth/whoami', { token: bobToken })).body.grants;
    expect(await roles()).toHaveLength(2);

    // A project admin of blog may take the blog grant, not the shop one.
    await createUser({
      email: 'blog-admin@acme.test',
      password: 'blog admin password',
      grants: [{ role: 'admin', scope: { kind: 'project', projectId: 'blog' } }],
    });
    const blogAdmin = await t.login('blog-admin@acme.test', 'blog admin password');
    const revoke = (grantId: string | undefined, token = admin, user = bob.body.id) =>
      t.call('DELETE', `/v1/users/${user}/grants/${grantId}`, { token });
    expect((await revoke(shopGrant?.id, blogAdmin)).status).toBe(403);
    expect((await revoke(blogGrant?.id, blogAdmin)).status).toBe(204);
    // The same access token, read again: the grant is gone from its next request.
    expect(await roles()).toEqual([expect.objectContaining({ id: shopGrant?.id })]);
    // Gone is gone; another organisation's user, or a grant of another user, is not found.
    expect((await revoke(blogGrant?.id)).status).toBe(404);
    expect((await revoke(shopGrant?.id, admin, globexAdminId)).status).toBe(404);
    const story = await t.store.audit.byEntity('acme', 'user', bob.body.id, { limit: 10 });
    expect(story.map((e) => e.action).filter((a) => a !== 'user.sign-in')).toEqual([
      'user.create',
      'user.grant.revoke',
    ]);
  });

  it('keeps the organisation’s last enabled admin: no revoking its grant, no disabling it', async () => {
    const me = (await t.call('GET', '/v1/auth/whoami', { token: admin })).body;
    const adminGrant = (me.grants as { id: string; role: string; scope: { kind: string } }[]).find(
      (g) => g.role === 'admin' && g.scope.kind === 'org',
    );
    const revoked = await t.call('DELETE', `/v1/users/${me.userId}/grants/${adminGrant?.id}`, { token: admin });
    expect(revoked.status).toBe(409);
    expect(revoked.body.error).toMatchObject({ code: 'ISOTYP_CONFLICT', hint: expect.stringContaining('admin') });
    const self = await t.call('PATCH', `/v1/users/${me.userId}`, { token: admin, body: { disabled: true } });
    expect(self.status).toBe(409);
    expect(self.body.error.message).toContain('your own account');
    // A second admin, itself the last other one, may not be disabled while the first is disabled.
    const second = await createUser({
      email: 'second-admin@acme.test',
      password: 'second admin password',
      grants: [{ role: 'admin', scope: { kind: 'org' } }],
    });
    const secondToken = await t.login('second-admin@acme.test', 'second admin password');
    expect(
      (await t.call('PATCH', `/v1/users/${me.userId}`, { token: secondToken, body: { disabled: true } })).status,
    ).toBe(200);
    const last = await t.call('PATCH', `/v1/users/${second.body.id}`, { token: secondToken, body: { disabled: true } });
    expect(last.status).toBe(409);
    // Enabled again by the second admin, the first one works as before (with a new session).
    expect(
      (await t.call('PATCH', `/v1/users/${me.userId}`, { token: secondToken, body: { disabled: false } })).body,
    ).toMatchObject({ id: me.userId, disabled: false });
    admin = await t.login();
    expect((await t.call('GET', '/v1/users', { token: admin })).status).toBe(200);
  });

  it('PATCH /v1/users/{id} disables a user: no sign-in, sessions ended, access tokens refused at once', async () => {
    await createUser({
      email: 'leaver@acme.test',
      password: 'leaver has a long password',
      grants: [{ role: 'viewer', scope: { kind: 'org' } }],
    });
    const session = await t.call('POST', '/v1/auth/login', {
      body: { org: 'acme', email: 'leaver@acme.test', password: 'leaver has a long password' },
    });
    const { accessToken, refreshToken } = session.body as { accessToken: string; refreshToken: string };
    const leaver = (await t.call('GET', '/v1/auth/whoami', { token: accessToken })).body.userId as string;
    const viewer = await t.login('blog-admin@acme.test', 'blog admin password');
    // Only an organisation-wide users:manage may; another organisation's user is not found.
    expect((await t.call('PATCH', `/v1/users/${leaver}`, { token: viewer, body: { disabled: true } })).status).toBe(
      403,
    );
    expect(
      (await t.call('PATCH', `/v1/users/${globexAdminId}`, { token: admin, body: { disabled: true } })).status,
    ).toBe(404);
    expect((await t.call('PATCH', `/v1/users/${leaver}`, { token: admin, body: { disabled: 'yes' } })).status).toBe(
      400,
    );

    const disabled = await t.call('PATCH', `/v1/users/${leaver}`, { token: admin, body: { disabled: true } });
    expect(disabled).toMatchObject({ status: 200, body: { id: leaver, disabled: true } });
    expect((await t.call('GET', '/v1/auth/whoami', { token: accessToken })).status).toBe(401);
    expect((await t.call('POST', '/v1/auth/refresh', { body: { refreshToken } })).status).toBe(401);
    const again = await t.call('POST', '/v1/auth/login', {
      body: { org: 'acme', email: 'leaver@acme.test', password: 'leaver has a long password' },
    });
    expect(again.status).toBe(401);
    // Disabling twice changes nothing more; the log has one entry for it.
    expect((await t.call('PATCH', `/v1/users/${leaver}`, { token: admin, body: { disabled: true } })).status).toBe(200);
    const story = await t.store.audit.byEntity('acme', 'user', leaver, { limit: 10 });
    expect(story.map((e) => e.action).filter((a) => a !== 'user.sign-in')).toEqual(['user.create', 'user.disable']);
    expect((await t.call('GET', '/v1/people', { token: admin })).body.people).toContainEqual(
      expect.objectContaining({ id: leaver, disabled: true }),
    );
  });
});
