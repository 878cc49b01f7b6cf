import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapOrg } from '../identity/bootstrap.js';
import { type IdentityApp, identityApp } from '../test-support/identity-app.js';

describe('CI token routes', () => {
  let t: IdentityApp;
  let admin: string;
  let globexAdmin: string;
  beforeAll(async () => {
    t = await identityApp();
    await t.seedProject('acme', 'shop', ['shop-staging', 'shop-prod']);
    await t.seedProject('acme', 'blog', ['blog-prod']);
    await bootstrapOrg({
      store: t.store,
      orgId: 'globex',
      orgName: 'Globex',
      adminEmail: 'admin@globex.test',
      adminPassword: 'globex admin password',
      now: t.clock.now,
    });
    await t.seedProject('globex', 'gx', ['gx-prod']);
    [admin, globexAdmin] = await Promise.all([
      t.login(),
      t.login('admin@globex.test', 'globex admin password', 'globex'),
    ]);
  });
  afterAll(() => t.close());

  const create = (token: string, body: Record<string, unknown>) =>
    t.call('POST', '/v1/tokens', {
      token,
      body: { name: 'deploy', projectId: 'shop', environmentId: 'shop-staging', actions: ['apply'], ...body },
    });

  it('POST /v1/tokens returns the secret once; GET lists without it', async () => {
    const created = await create(admin, { expiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(new RegExp(`^isotyp_ci_${created.body.id}_`));
    expect(created.body).toMatchObject({ projectId: 'shop', environmentId: 'shop-staging', actions: ['apply'] });
    expect(Date.parse(created.body.expiresAt) - t.clock.now().getTime()).toBe(30 * 24 * 3600 * 1000);

    const listed = await t.call('GET', '/v1/tokens', { token: admin });
    expect(listed.status).toBe(200);
    const entry = listed.body.tokens.find((x: { id: string }) => x.id === created.body.id);
    expect(entry).toMatchObject({ name: 'deploy', createdBy: t.admin.userId });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.body.token.slice(-43));
    expect(text).not.toContain('secretHash');
    expect(text).not.toContain('"token"');
  });

  it('the created token authenticates, and stops once DELETE /v1/tokens/{id} revoked it', async () => {
    const created = await create(admin, {});
    expect((await t.call('GET', '/v1/auth/whoami', { token: created.body.token })).status).toBe(200);
    const deleted = await t.call('DELETE', `/v1/tokens/${created.body.id}`, { token: admin });
    expect(deleted.status).toBe(204);
    expect((await t.call('GET', '/v1/auth/whoami', { token: created.body.token })).status).toBe(401);
    const listed = await t.call('GET', '/v1/tokens', { token: admin });
    expect(listed.body.tokens.find((x: { id: string }) => x.id === created.body.id).revokedAt).toBeDefined();
  });

  it('answers 404 for a project or environment outside the caller’s organisation', async () => {
    for (const body of [
      { projectId: 'gx', environmentId: 'gx-prod' },
      { projectId: 'shop', environmentId: 'gx-prod' },
      { projectId: 'nope', environmentId: 'shop-staging' },
      // An environment of another project in the same org is not this project's.
      { projectId: 'shop', environmentId: 'blog-prod' },
    ]) {
      const response = await create(admin, body);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('ISOTYP_NOT_FOUND');
    }
  });

  it('answers 404 for another organisation’s token id, and leaves that token alone', async () => {
    const theirs = await create(globexAdmin, { projectId: 'gx', environmentId: 'gx-prod' });
    expect(theirs.status).toBe(201);
    const response = await t.call('DELETE', `/v1/tokens/${theirs.body.id}`, { token: admin });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('ISOTYP_NOT_FOUND');
    expect((await t.call('GET', '/v1/auth/whoami', { token: theirs.body.token })).status).toBe(200);
    const ours = await t.call('GET', '/v1/tokens', { token: admin });
    expect(ours.body.tokens.map((x: { id: string }) => x.id)).not.toContain(theirs.body.id);
  });

  it('lets a project admin manage that project’s tokens only', async () => {
    const user = await t.call('POST', '/v1/users', {
      token: admin,
      body: {
        email: 'blog-admin@acme.test',
        displayName: 'Blog admin',
        password: 'blog admin password',
        grants: [{ role: 'admin', scope: { kind: 'project', projectId: 'blog' } }],
      },
    });
    expect(user.status).toBe(201);
    const blogAdmin = await t.login('blog-admin@acme.test', 'blog admin password');
    const shopToken = await create(admin, {});

    expect((await create(blogAdmin, { projectId: 'blog', environmentId: 'blog-prod' })).status).toBe(201);
    expect((await create(blogAdmin, {})).status).toBe(403);
    const listed = await t.call('GET', '/v1/tokens', { token: blogAdmin });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens.length).toBeGreaterThan(0);
    expect(listed.body.tokens.every((x: { projectId: string }) => x.projectId === 'blog')).toBe(true);
    expect((await t.call('DELETE', `/v1/tokens/${shopToken.body.id}`, { token: blogAdmin })).status).toBe(403);
  });

  it('refuses callers without tokens:manage and anonymous callers', async () => {
    await t.call('POST', '/v1/users', {
      token: admin,
      body: {
        email: 'viewer@acme.test',
        displayName: 'Viewer',
        password: 'viewer password 1',
        grants: [{ role: 'viewer', scope: { kind: 'org' } }],
      },
    });
    const viewer = await t.login('viewer@acme.test', 'viewer password 1');
    expect((await create(viewer, {})).status).toBe(403);
    expect((await t.call('GET', '/v1/tokens', { token: viewer })).status).toBe(403);
    expect((await t.call('DELETE', '/v1/tokens/abc', { token: viewer })).status).toBe(403);
    const anonymous = await t.call('GET', '/v1/tokens');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('ISOTYP_UNAUTHENTICATED');
  });

  it('validates the body: unknown actions, empty action lists and silly lifetimes are 400', async () => {
    for (const body of [{ actions: ['drop'] }, { actions: [] }, { expiresInDays: 0 }, { expiresInDays: 1.5 }]) {
      const response = await create(admin, body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('ISOTYP_INVALID_INPUT');
    }
  });
});
