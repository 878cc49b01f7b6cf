import { randomBytes, scrypt, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { needsRehash, verifyPassword } from '../identity/passwords.js';
import { ADMIN_PASSWORD, type IdentityApp, identityApp } from '../test-support/identity-app.js';

// Pass-through spy (the real scrypt runs): counts key derivations per login attempt.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});

describe('auth routes', () => {
  let t: IdentityApp;
  beforeAll(async () => {
    t = await identityApp();
  });
  afterAll(() => t.close());

  const login = (body: unknown) => t.call('POST', '/v1/auth/login', { body });

  it('POST /v1/auth/login answers a token pair for the right password', async () => {
    const response = await login({ org: 'acme', email: 'Admin@Acme.test ', password: ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(response.body.refreshToken).toMatch(/^isotyp_rt_/);
    const me = await t.call('GET', '/v1/auth/whoami', { token: response.body.accessToken });
    expect(me.body).toMatchObject({ kind: 'user', orgId: 'acme', email: 'admin@acme.test' });
  });

  it('answers a wrong password, an unknown email and an unknown org identically, each after one scrypt', async () => {
    const answers = [];
    for (const body of [
      { org: 'acme', email: 'admin@acme.test', password: 'wrong password' },
      { org: 'acme', email: 'nobody@acme.test', password: ADMIN_PASSWORD },
      { org: 'no-such-org', email: 'admin@acme.test', password: ADMIN_PASSWORD },
    ]) {
      vi.mocked(scrypt).mockClear();
      answers.push(await login(body));
      // Same work on every path, so response time does not reveal which emails or orgs exist.
      expect(vi.mocked(scrypt).mock.calls).toHaveLength(1);
    }
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('ISOTYP_CREDENTIALS_INVALID');
      // Bodies equal apart from the request id: the text does not tell which part was wrong.
      expect({ ...answer.body.error, requestId: undefined }).toEqual({
        ...answers[0]?.body.error,
        requestId: undefined,
      });
    }
  });

  it('answers an OIDC-only user (no password) like a wrong password', async () => {
    await t.store.users.create({
      id: 'usr_oidc',
      orgId: 'acme',
      email: 'sso@acme.test',
      displayName: 'SSO',
      oidcIssuer: 'https://idp.test',
      oidcSubject: 'sso-1',
      disabled: false,
      createdAt: t.clock.now().toISOString(),
    });
    const answer = await login({ org: 'acme', email: 'sso@acme.test', password: 'any password at all' });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('ISOTYP_CREDENTIALS_INVALID');
  });

  it('rehashes a password stored with old parameters at the next successful login', async () => {
    const salt = randomBytes(16);
    const weak = `scrypt$1024$8$1$${salt.toString('base64url')}$${scryptSync(ADMIN_PASSWORD, salt, 32, { N: 1024 }).toString('base64url')}`;
    await t.store.users.setPasswordHash('acme', t.admin.userId, weak);
    expect((await login({ org: 'acme', email: 'admin@acme.test', password: ADMIN_PASSWORD })).status).toBe(200);
    const stored = (await t.store.users.get('acme', t.admin.userId))?.passwordHash ?? '';
    expect(stored).not.toBe(weak);
    expect(needsRehash(stored)).toBe(false);
    expect(await verifyPassword(ADMIN_PASSWORD, stored)).toBe(true);
  });

  it.each([
    [{ org: 'acme', email: 'admin@acme.test' }],
    [{ org: 'acme', email: 'admin@acme.test', password: 42 }],
    [{ org: 'acme', email: 'admin@acme.test', password: 'x'.repeat(1025) }],
    [{ org: 'acme', email: 'admin@acme.test', password: ADMIN_PASSWORD, extra: true }],
  ])('refuses a malformed login body with 400 ISOTYP_INVALID_INPUT (%#)', async (body) => {
    const response = await login(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('ISOTYP_INVALID_INPUT');
  });

  it('GET /v1/auth/whoami describes a CI token by its scope', async () => {
    await t.seedProject('acme', 'who-p', ['who-e']);
    const { token } = await t.identity.ciTokens.create({
      orgId: 'acme',
      name: 'ci',
      projectId: 'who-p',
      environmentId: 'who-e',
      actions: ['read'],
      createdBy: t.admin.userId,
    });
    const response = await t.call('GET', '/v1/auth/whoami', { token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      kind: 'ci',
      orgId: 'acme',
      ci: { tokenId: expect.any(String), projectId: 'who-p', environmentId: 'who-e', actions: ['read'] },
    });
  });

  it('describes every identity route in /v1/openapi.json with the bearer scheme', async () => {
    const response = await t.call('GET', '/v1/openapi.json');
    expect(response.status).toBe(200);
    const paths = Object.keys(response.body.paths);
    for (const path of [
      '/v1/auth/login',
      '/v1/auth/refresh',
      '/v1/auth/logout',
      '/v1/auth/whoami',
      '/.well-known/jwks.json',
      '/v1/tokens',
      '/v1/tokens/{id}',
      '/v1/users',
      '/v1/users/{id}/grants',
    ]) {
      expect(paths).toContain(path);
    }
    expect(response.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(response.body.paths['/v1/tokens'].post.security).toEqual([{ bearerAuth: [] }]);
  });
});
